/* What a file looks like from outside (size and mtime), to tell cheaply that
 * nobody has written it since a read: the change counters asked before every
 * tile are reused while a database's WAL keeps its signature
 * (store_spatialite.c). */
#ifndef GISD_FILE_SIG_H
#define GISD_FILE_SIG_H

#include <sys/types.h>
#include <time.h>

/* A read that saw a file written less than this long before may miss a write
 * stamped with the same time: the kernel stamps files from a clock that
 * ticks every few milliseconds. */
#define SIG_RACY_S 0.05

typedef struct {
    off_t size;
    struct timespec mtime;
} file_sig;

/* Fills sig from the open file fd; 0, or -1 when fstat fails. */
int file_sig_of(int fd, file_sig *sig);
/* 1 when a and b name the same size and mtime. */
int file_sig_equal(const file_sig *a, const file_sig *b);
/* 1 when the file of sig was last written more than SIG_RACY_S ago by the
 * wall clock (a file stamped in the future counts as just written). */
int file_sig_settled(const file_sig *sig);

#endif
