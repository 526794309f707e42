/* banned.h - functions the project does not call (git's banned.h).
 *
 * Force-included before every C file of the project (root CMakeLists.txt,
 * regscan_flags), so a call of one of these is a compile error that names
 * it: `sorry_strcpy_is_a_banned_function` undeclared. Use snprintf, rs_buf,
 * memcpy with a checked length, strtok-free scanning (strcspn/strspn),
 * gmtime_r/localtime_r and strftime instead.
 *
 * Banned: unbounded copies and formats (strcpy, strcat, sprintf, vsprintf,
 * gets); the "n" variants, which truncate silently or leave no terminator
 * (strncpy, strncat); strtok and strtok_r, which write into their input;
 * the time functions that return static buffers, not thread-safe (gmtime,
 * localtime, ctime, asctime and their _r forms of ctime/asctime, whose buffer
 * has no size); tmpnam and mktemp (races; mkstemp instead).
 *
 * The macros are object-like, so any use of the name is an error (a call,
 * or a pointer to the function), and a search for calls of these functions
 * finds none here. The system headers that declare them are included here
 * first: their include guards keep the later #includes of the .c files from
 * expanding the macros in the prototypes. */
#ifndef RS_BANNED_H
#define RS_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNED(func) (sorry_##func##_is_a_banned_function)

#undef strcpy
#define strcpy BANNED(strcpy)
#undef strcat
#define strcat BANNED(strcat)
#undef strncpy
#define strncpy BANNED(strncpy)
#undef strncat
#define strncat BANNED(strncat)
#undef sprintf
#define sprintf BANNED(sprintf)
#undef vsprintf
#define vsprintf BANNED(vsprintf)
#undef gets
#define gets BANNED(gets)
#undef strtok
#define strtok BANNED(strtok)
#undef strtok_r
#define strtok_r BANNED(strtok_r)
#undef gmtime
#define gmtime BANNED(gmtime)
#undef localtime
#define localtime BANNED(localtime)
#undef ctime
#define ctime BANNED(ctime)
#undef ctime_r
#define ctime_r BANNED(ctime_r)
#undef asctime
#define asctime BANNED(asctime)
#undef asctime_r
#define asctime_r BANNED(asctime_r)
#undef tmpnam
#define tmpnam BANNED(tmpnam)
#undef mktemp
#define mktemp BANNED(mktemp)

#endif
