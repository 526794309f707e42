"""Shared helpers of the integration tests (Debian's python3, stdlib + confluent_kafka).

Every test talks to the real services that deploy/local/services.sh started (their
addresses come from `services.sh env`, exported by scripts/test.sh) and isolates itself:
its own topic prefix, Redis key prefix, consumer group and repository namespace, so tests
can run one after another against the same services without seeing each other's data.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: F401

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("RS_BIN_DIR", os.path.join(ROOT, "build", "bin"))
MKIMAGE = os.path.join(ROOT, "deploy", "local", "mkimage.py")
IMAGES = os.path.join(ROOT, "deploy", "local", "images")     # the sample images seed.sh pushes
TEST_IMAGES = os.path.join(ROOT, "tests", "data", "images")  # specs only the tests build
SKIP = 77


def spec_path(spec_name):
    """The spec file of a sample image (deploy/local/images) or of a test-only image
    (tests/data/images)."""
    path = os.path.join(IMAGES, spec_name + ".json")
    return path if os.path.exists(path) else os.path.join(TEST_IMAGES, spec_name + ".json")


def env(name, default=None):
    v = os.environ.get(name, default)
    return v


class Checks:
    """Counts exact checks; prints each failure with both values; ends with 'N passed, N failed'."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def eq(self, got, want, what):
        if got == want:
            self.passed += 1
            return True
        self.failed += 1
        print(f"FAIL {what}:\n  got:  {got!r}\n  want: {want!r}", flush=True)
        return False

    def true(self, cond, what):
        return self.eq(bool(cond), True, what)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def require_services():
    need = ["REGSCAN_KAFKA_BROKERS", "REGSCAN_REDIS_URL", "REGSCAN_TEST_REGISTRY_OPEN"]
    missing = [n for n in need if not os.environ.get(n)]
    if missing:
        print("skipped: services not started (eval \"$(deploy/local/services.sh env)\"): "
              + ", ".join(missing))
        sys.exit(SKIP)


class Run:
    """One isolated test run: unique names, a work directory, helpers to drive regscan."""

    def __init__(self, name):
        require_services()
        self.id = f"{name}-{uuid.uuid4().hex[:8]}"
        self.ns = f"it-{self.id}"           # repository namespace in the registries
        self.tmp = tempfile.mkdtemp(prefix=f"regscan-{name}-")
        self.brokers = os.environ["REGSCAN_KAFKA_BROKERS"]
        self.redis_url = os.environ["REGSCAN_REDIS_URL"]
        self.open = os.environ["REGSCAN_TEST_REGISTRY_OPEN"]
        self.basic = os.environ.get("REGSCAN_TEST_REGISTRY_BASIC")
        self.token = os.environ.get("REGSCAN_TEST_REGISTRY_TOKEN")
        self.user = os.environ.get("REGSCAN_TEST_REGISTRY_USER")
        self.password = os.environ.get("REGSCAN_TEST_REGISTRY_PASSWORD")
        self.prefix = f"rs-{self.id}:"
        self.topic_prefix = f"{self.id}."
        self.env = dict(os.environ)
        self.env.update({
            "REGSCAN_KAFKA_BROKERS": self.brokers,
            "REGSCAN_REDIS_URL": self.redis_url,
            "REGSCAN_REDIS_PREFIX": self.prefix,
            "REGSCAN_TOPIC_REQUESTS": self.topic("regscan.scan-requests"),
            "REGSCAN_TOPIC_BATCH": self.topic("regscan.scan-requests.batch"),
            "REGSCAN_TOPIC_FINDINGS": self.topic("regscan.findings"),
            "REGSCAN_TOPIC_INVENTORY": self.topic("regscan.inventory"),
            "REGSCAN_TOPIC_DEAD_LETTER": self.topic("regscan.dead-letter"),
            "REGSCAN_GROUP": f"{self.id}-workers",
            "REGSCAN_LOG": "text",
        })
        subprocess.run([os.path.join(ROOT, "deploy", "local", "topics.sh"), "--prefix",
                        self.topic_prefix], check=True, stdout=subprocess.DEVNULL)
        self.procs = []

    def topic(self, name):
        return self.topic_prefix + name

    # ---- images ----
    def build(self, spec_name, out_name=None):
        """Builds the spec `spec_name` (spec_path) into an OCI layout; returns (layout, refs)
        where refs maps ref name -> (media type, digest)."""
        out = os.path.join(self.tmp, out_name or spec_name)
        p = subprocess.run(["/usr/bin/python3", MKIMAGE, "build", spec_path(spec_name), out],
                           check=True, capture_output=True, text=True)
        refs = {}
        for line in p.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                refs[parts[0]] = (parts[1], parts[2])
        return out, refs

    def push(self, layout_ref, dest, creds=None):
        cmd = ["/usr/bin/python3", MKIMAGE, "push", layout_ref, dest]
        if creds:
            cmd += ["--creds", creds]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    # ---- configuration ----
    def tenants_file(self, tenants, name="tenants.json"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            json.dump({"tenants": tenants}, f, indent=2)
        return path

    def registry(self, addr, repos=None, auth=None, **extra):
        r = {"url": f"http://{addr}", "auth": auth or {"type": "none"},
             "repositories": repos or [f"{self.ns}/*"]}
        r.update(extra)
        return r

    # ---- programs ----
    def coordinator(self, config, *args, check=True, env=None):
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run([os.path.join(BIN, "regscan-coordinator"), "--config", config,
                            "--json", *args], env=e, capture_output=True, text=True,
                           timeout=300)
        if check and p.returncode != 0:
            print(p.stderr[-4000:])
            raise RuntimeError(f"coordinator exited {p.returncode}")
        summary = None
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        if lines:
            try:
                summary = json.loads(lines[-1])
            except ValueError:
                summary = None
        return p, summary

    def start_worker(self, config, *args, env=None, log_name=None):
        e = dict(self.env)
        e.update(env or {})
        log = open(os.path.join(self.tmp, log_name or f"worker-{len(self.procs)}.log"), "w")
        p = subprocess.Popen([os.path.join(BIN, "regscan-worker"), "--config", config,
                              "--kafka-prop", "session.timeout.ms=6000",
                              "--kafka-prop", "heartbeat.interval.ms=500", *args],
                             env=e, stdout=log, stderr=subprocess.STDOUT)
        p.log_path = log.name
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()

    # ---- Kafka ----
    def consume(self, topic, want=None, timeout=90, idle=3.0):
        """Reads `topic` from the beginning: until `want` messages (then `idle` more seconds
        to catch extras) or until timeout. Returns [(key, value_dict_or_bytes)]."""
        c = Consumer({"bootstrap.servers": self.brokers, "group.id": f"{self.id}-reader-{uuid.uuid4().hex[:6]}",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([topic])
        out = []
        deadline = time.time() + timeout
        last = None
        try:
            while time.time() < deadline:
                m = c.poll(0.5)
                if m is None:
                    if want is not None and len(out) >= want and last and time.time() - last > idle:
                        break
                    continue
                if m.error():
                    continue
                last = time.time()
                v = m.value()
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
                out.append((m.key().decode() if m.key() else None, v))
        finally:
            c.close()
        return out

    def produce(self, topic, key, value):
        p = Producer({"bootstrap.servers": self.brokers})
        p.produce(topic, key=key, value=value)
        p.flush(10)

    def create_topic(self, name, partitions):
        """Creates a topic of this run (any partition count), waits until it is there."""
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": self.brokers})
        for f in a.create_topics([NewTopic(name, partitions, 1)]).values():
            f.result(30)
        deadline = time.time() + 30
        while time.time() < deadline and name not in a.list_topics(timeout=10).topics:
            time.sleep(0.2)

    def produce_to(self, topic, partition, key, value):
        p = Producer({"bootstrap.servers": self.brokers})
        p.produce(topic, key=key, value=value, partition=partition)
        p.flush(10)

    def offsets(self, topic, group=None):
        """{partition: (committed offset of `group` (default: the workers' group), end offset)}"""
        c = Consumer({"bootstrap.servers": self.brokers, "group.id": group or self.env["REGSCAN_GROUP"],
                      "enable.auto.commit": False})
        try:
            md = c.list_topics(topic, timeout=10).topics[topic]
            tps = [TopicPartition(topic, p) for p in sorted(md.partitions)]
            out = {}
            for tp in c.committed(tps, timeout=10):
                lo, hi = c.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
                out[tp.partition] = (tp.offset, hi)
            return out
        finally:
            c.close()

    def all_committed(self, topic, group=None):
        """1 when every partition with messages has its offset committed at its end."""
        return all(hi == 0 or off == hi for off, hi in self.offsets(topic, group).values())

    # ---- Redis ----
    def redis(self, *args):
        url = self.redis_url
        p = subprocess.run(["redis-cli", "-u", url, "--raw", *args], capture_output=True,
                           text=True, check=True)
        return p.stdout

    def hgetall(self, key):
        out = self.redis("HGETALL", self.prefix + key).splitlines()
        return dict(zip(out[0::2], out[1::2]))

    def smembers(self, key):
        return sorted(l for l in self.redis("SMEMBERS", self.prefix + key).splitlines() if l)

    def keys(self, pattern):
        return sorted(l for l in self.redis("--scan", "--pattern", self.prefix + pattern).splitlines() if l)


def reports_by_digest(msgs):
    """Merges report parts: {(tenant, digest): report} keeping the last complete scan."""
    by = {}
    for key, v in msgs:
        if not isinstance(v, dict):
            continue
        by.setdefault((v.get("tenant"), v.get("digest")), []).append(v)
    return by


# ---- reassembling parts (docs/contracts.md, "Reassembling parts") ----

REPORT_ARRAYS = ("vulnerabilities", "secrets", "misconfigurations", "errors", "suppressed")
INVENTORY_ARRAYS = ("packages",)


def reassemble(msgs, arrays):
    """Reassembles report or inventory parts the way docs/contracts.md tells consumers to.

    `msgs` are [(key, value)] in topic order (one partition per tenant/digest keeps the order).
    Parts are grouped by scan_id -- two attempts at one report may split it at different
    boundaries, so (report_id, part) does not name a part's content -- and a part seen again
    (at-least-once delivery) is dropped by (scan_id, part). A scan_id is complete when parts
    1..parts have all arrived. Returns {scan_id: {"parts": n, "seen": sorted part numbers,
    "duplicates": parts dropped, "complete": bool, "completed_at": index in msgs of the part
    that completed it (None), "doc": for a complete scan_id, part 1 with every array of
    `arrays` concatenated over parts 1..n in order (else None)}}."""
    groups = {}
    for i, (_, v) in enumerate(msgs):
        if not isinstance(v, dict) or "scan_id" not in v:
            continue
        g = groups.setdefault(v["scan_id"], {"parts": v["parts"], "by_part": {}, "duplicates": 0,
                                             "completed_at": None})
        if v["part"] in g["by_part"]:
            g["duplicates"] += 1
            continue
        g["by_part"][v["part"]] = v
        if g["completed_at"] is None and sorted(g["by_part"]) == list(range(1, g["parts"] + 1)):
            g["completed_at"] = i
    out = {}
    for scan_id, g in groups.items():
        complete = g["completed_at"] is not None
        doc = None
        if complete:
            doc = dict(g["by_part"][1])
            for a in arrays:
                doc[a] = [e for n in range(1, g["parts"] + 1) for e in g["by_part"][n].get(a, [])]
            doc["part"], doc["parts"] = 1, 1
        out[scan_id] = {"parts": g["parts"], "seen": sorted(g["by_part"]), "duplicates": g["duplicates"],
                        "complete": complete, "completed_at": g["completed_at"], "doc": doc}
    return out


def newest_complete(assembled):
    """{(tenant, digest): doc} keeping, per image, the complete scan_id that completed last
    (a redelivered older attempt does not replace a newer one that completed after it)."""
    best = {}
    for a in assembled.values():
        if not a["complete"]:
            continue
        k = (a["doc"]["tenant"], a["doc"]["digest"])
        if k not in best or a["completed_at"] > best[k]["completed_at"]:
            best[k] = a
    return {k: a["doc"] for k, a in best.items()}


# ---- OCI layouts (what mkimage.py built) ----

def _blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return json.loads(f.read())


def layout_images(layout, ref):
    """{platform "os/arch[/variant]": {"digest", "layers": [...], "index_digest"}} for `ref`."""
    idx = _blob_index(layout)
    desc = next(m for m in idx["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref)
    out = {}

    def add(d, index_digest, platform=None):
        m = _blob(layout, d["digest"])
        cfg = _blob(layout, m["config"]["digest"])
        plat = platform or {"os": cfg.get("os"), "architecture": cfg.get("architecture"),
                            "variant": cfg.get("variant")}
        key = "/".join(x for x in (plat.get("os"), plat.get("architecture"), plat.get("variant")) if x)
        out[key] = {"digest": d["digest"], "layers": [l["digest"] for l in m["layers"]],
                    "index_digest": index_digest}

    if desc["mediaType"].endswith("index.v1+json") or "manifest.list" in desc["mediaType"]:
        inner = _blob(layout, desc["digest"])
        for d in inner["manifests"]:
            add(d, desc["digest"], d.get("platform"))
    else:
        add(desc, "")
    return out


def _blob_index(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)


def spec_expected(spec_name):
    with open(spec_path(spec_name)) as f:
        return json.load(f)["expected"]


def expected_packages(spec_name, images):
    """{digest: sorted [(name, version, source_name, source_version, path, layer_digest)]}."""
    out = {}
    for img in spec_expected(spec_name)["images"]:
        info = images[img["platform"]]
        rows = []
        for p in img["packages"]:
            if "source" in p and p["source"] is None:  # a language package: no source
                sname = sversion = None
            else:
                src = p.get("source") or {}
                sname, sversion = src.get("name", p["name"]), src.get("version", p["version"])
            rows.append((p["name"], p["version"], sname, sversion, p["path"],
                         info["layers"][p["layer_index"]]))
        out[info["digest"]] = sorted(rows)
    return out


def inventory_rows(inv):
    rows = []
    for p in inv.get("packages", []):
        src = p.get("source") or {}
        rows.append((p["name"], p["version"], src.get("name"), src.get("version"), p["path"],
                     p["layer"]))
    return sorted(rows)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port, workdir=None, extra=(), persist=False):
    """A private redis-server on 127.0.0.1:port, for the tests that stop or kill Redis (the
    shared one must stay up) or configure it (`extra`: more arguments, e.g.
    ("--requirepass", pw)); returns its process once it accepts connections. Without
    persistence it comes back empty after a kill; with `persist` (needs workdir) every write
    is in its append-only file first (appendfsync always), so a restart on the same workdir
    is a restart with its data, as a deployed Redis has."""
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if persist else "no"] + \
        (["--appendfsync", "always"] if persist else []) + \
        (["--dir", workdir] if workdir else []) + list(extra)
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("redis-server did not start")


KAFKA_PROPERTIES = """# a private single KRaft broker (harness.start_kafka): services.sh's broker
# settings without its SASL_SSL listener
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{cport}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=false
"""


def start_kafka(port, cport, workdir, timeout=90):
    """A private Kafka broker (KRaft, broker and controller in one JVM) on 127.0.0.1:port
    (controller on cport) with its data and log in workdir, from the jars services.sh uses
    (REGSCAN_KAFKA_LIB), for the tests that kill the broker (the shared one must stay up).
    Formats the storage on the first start only, so calling it again with the same arguments
    after a kill -9 restarts the broker on its data. Returns the process once the broker
    answers metadata requests."""
    from confluent_kafka.admin import AdminClient
    lib = os.environ["REGSCAN_KAFKA_LIB"]
    log4j = os.path.join(ROOT, "deploy", "local", "kafka")
    data = os.path.join(workdir, "data")
    props = os.path.join(workdir, "server.properties")
    java = ["java", "-cp", os.path.join(lib, "*")]
    if not os.path.exists(os.path.join(data, "meta.properties")):
        os.makedirs(data, exist_ok=True)
        with open(props, "w") as f:
            f.write(KAFKA_PROPERTIES.format(port=port, cport=cport, data=data))
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(java[:1] + [f"-Dlog4j2.configurationFile={log4j}/log4j2-tools.properties"]
                       + java[1:] + ["kafka.tools.StorageTool", "format", "-t", cluster, "-c", props],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = open(os.path.join(workdir, "kafka.log"), "a")
    p = subprocess.Popen(java[:1] + ["-Xms256m", "-Xmx256m", "-XX:+UseG1GC",
                                     f"-Dlog4j2.configurationFile={log4j}/log4j2.properties"]
                         + java[1:] + ["kafka.Kafka", props], stdout=log, stderr=subprocess.STDOUT)
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}", "log_level": 0})
    deadline = time.time() + timeout
    while time.time() < deadline and p.poll() is None:
        try:
            admin.list_topics(timeout=1)
            return p
        except Exception:  # noqa: BLE001 -- not up yet
            time.sleep(0.2)
    p.kill()
    raise RuntimeError(f"the private kafka broker did not start (log: {log.name})")


def wait_for(cond, timeout, step=0.2):
    """True as soon as cond() is, False when timeout seconds passed first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return False


def wait_all(procs, timeout):
    deadline = time.time() + timeout
    for p in procs:
        left = max(1, deadline - time.time())
        try:
            p.wait(timeout=left)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise RuntimeError(f"process {p.args[0]} did not exit in {timeout} s")


class RegistryProxy:
    """tests/helpers/registry_proxy.py in front of a registry: counts requests, delays blobs,
    records arrival times, answers one blob GET with 429 when armed."""

    def __init__(self, upstream, blob_delay=0.0):
        self.p = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "helpers", "registry_proxy.py"),
                                   "--upstream", upstream, "--blob-delay", str(blob_delay)],
                                  stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        self.addr = f"127.0.0.1:{line[1]}"

    def stats(self):
        import urllib.request
        with urllib.request.urlopen(f"http://{self.addr}/__proxy/stats", timeout=10) as f:
            return json.loads(f.read())

    def arm_429(self, n, retry_after):
        """The n-th blob GET from now is answered 429 with Retry-After: retry_after."""
        import urllib.request
        with urllib.request.urlopen(f"http://{self.addr}/__proxy/arm-429?n={n}&retry_after={retry_after}",
                                    timeout=10) as f:
            f.read()

    def arrivals(self):
        """[(time, method, path)] of every request, in arrival order."""
        import urllib.request
        with urllib.request.urlopen(f"http://{self.addr}/__proxy/arrivals", timeout=10) as f:
            return [tuple(a) for a in json.loads(f.read())]

    def count(self, method, path_suffix):
        return sum(n for k, n in self.stats().items()
                   if k.startswith(method + " ") and k.endswith(path_suffix))

    def close(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def dpkg_image_spec(path, name, packages, tag="latest", extra_files=()):
    """Writes a one-layer Debian-like image spec whose dpkg status lists `packages`
    [(name, version)], returns the spec path (for Run.build_spec)."""
    stanzas = []
    for n, v in packages:
        stanzas.append(f"Package: {n}\nStatus: install ok installed\nPriority: optional\n"
                       f"Architecture: amd64\nVersion: {v}\nDescription: test package {n}\n")
    entries = [
        {"type": "file", "path": "usr/lib/os-release",
         "text": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                 'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'},
        {"type": "symlink", "path": "etc/os-release", "target": "../usr/lib/os-release"},
        {"type": "file", "path": "var/lib/dpkg/status", "text": "\n".join(stanzas)},
    ] + list(extra_files)
    spec = {"name": name, "tag": tag, "image": {"os": "linux", "architecture": "amd64",
                                                "layers": [{"entries": entries}]}}
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def build_spec(run, spec_path, out_name):
    out = os.path.join(run.tmp, out_name)
    subprocess.run(["/usr/bin/python3", MKIMAGE, "build", spec_path, out], check=True,
                   capture_output=True, text=True)
    return out
