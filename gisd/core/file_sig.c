#include "file_sig.h"

#include <sys/stat.h>

int file_sig_of(int fd, file_sig *sig)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    sig->size = st.st_size;
    sig->mtime = st.st_mtim;
    return 0;
}

int file_sig_equal(const file_sig *a, const file_sig *b)
{
    return a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

int file_sig_settled(const file_sig *sig)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double age = (double)(now.tv_sec - sig->mtime.tv_sec) + (double)(now.tv_nsec - sig->mtime.tv_nsec) / 1e9;
    return age > SIG_RACY_S;
}
