"""Writers of rpm package databases from header blobs, for the tests and the fuzz seeds.

- bdb_dump(): the input of BerkeleyDB's own db5.3_load (its "bytevalue" dump format):
  key = the header number as a 4-byte integer in the database's byte order, value =
  the header blob, as rpm's bdb backend stored them in /var/lib/rpm/Packages;
- ndb(): a Packages.db in rpm's ndb format (lib/backend/ndb/rpmpkg.c; Debian's rpm is
  built without ndb, so it cannot write one): a 32-byte header ("RpmP", version 0,
  generation, slot pages, next package index), 4096-byte slot pages of 16-byte slots
  ("Slot", package index, block offset, block count; the header takes the first two),
  then per package a blob of 16-byte blocks: head ("BlbS", package index, generation,
  length), the header blob, zero padding, tail (Adler-32 of all before it, length,
  "BlbE"). All little-endian.
"""

import struct
import zlib


def bdb_dump(rows, big_endian=False):
    """rows: [(hnum, blob)] -> the text db5.3_load -f reads."""
    order = ">" if big_endian else "<"
    out = ["VERSION=3", "format=bytevalue", "type=hash", "HEADER=END"]
    for hnum, blob in rows:
        out.append(" " + struct.pack(order + "I", hnum).hex())
        out.append(" " + bytes(blob).hex())
    out.append("DATA=END")
    return "\n".join(out) + "\n"


def ndb(rows, slot_pages=1):
    """rows: [(pkgidx, blob)] -> the bytes of a Packages.db."""
    page, blk = 4096, 16
    slots = bytearray(slot_pages * page)
    nextidx = max((i for i, _ in rows), default=0) + 1
    struct.pack_into("<4sIIII", slots, 0, b"RpmP", 0, 1, slot_pages, nextidx)
    blobs = bytearray()
    blkoff = slot_pages * page // blk
    for n in range(2, slot_pages * page // 16):
        struct.pack_into("<4sIII", slots, n * 16, b"Slot", 0, 0, 0)
    for n, (idx, blob) in enumerate(rows):
        blob = bytes(blob)
        size = (16 + len(blob) + 12 + blk - 1) // blk * blk
        b = bytearray(struct.pack("<4sIII", b"BlbS", idx, 1, len(blob)) + blob)
        b += bytes(size - 12 - len(b))
        b += struct.pack("<III", zlib.adler32(bytes(b)), len(blob), 0x45626C42)
        struct.pack_into("<4sIII", slots, (n + 2) * 16, b"Slot", idx, blkoff, size // blk)
        blobs += b
        blkoff += size // blk
    return bytes(slots + blobs)


def header(tags):
    """tags: [(tag, value)] with value str (STRING), list of str (STRING_ARRAY) or list of int
    (INT32) -> an rpm header blob as the databases store it (lib/header.c: il, dl, il
    big-endian entries {tag, type, offset, count}, the data store; INT32 values 4-aligned)."""
    index, store = b"", bytearray()
    for tag, value in tags:
        if isinstance(value, str):
            typ, count, data = 6, 1, value.encode() + b"\0"
        elif value and isinstance(value[0], int):
            while len(store) % 4:
                store.append(0)
            typ, count, data = 4, len(value), b"".join(struct.pack(">I", v) for v in value)
        else:
            typ, count, data = 8, len(value), b"".join(v.encode() + b"\0" for v in value)
        index += struct.pack(">IIII", tag, typ, len(store), count)
        store += data
    return struct.pack(">II", len(tags), len(store)) + index + bytes(store)


def sample_headers():
    """Three headers for fuzz seeds: a file list, an epoch with OLDFILENAMES, a noarch one."""
    return [
        header([(1000, "rs-hello"), (1001, "1.2.3"), (1002, "4.el9"), (1022, "x86_64"),
                (1044, "rs-hello-1.2.3-4.el9.src.rpm"), (1011, "regscan"), (1014, "MIT"),
                (1116, [0, 1]), (1117, ["rs-hello", "data.txt"]),
                (1118, ["/usr/bin/", "/usr/share/rs-hello/"])]),
        header([(1000, "rs-suite-libs"), (1001, "0.9"), (1002, "1"), (1003, [2]),
                (1022, "x86_64"), (1044, "rs-suite-0.9-1.src.rpm"),
                (1027, ["/usr/lib64/librs.so.0"])]),
        header([(1000, "rs-data"), (1001, "2024.1"), (1002, "1"), (1022, "noarch"),
                (1044, "rs-data-2024.1-1.src.rpm")]),
    ]
