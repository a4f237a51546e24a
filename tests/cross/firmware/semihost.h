/*
 * semihost.h -- the firmware's only I/O: Arm semihosting calls, which a
 * debugger or QEMU (-semihosting) services on the host. Two of them are
 * all it needs -- print a string, end the program -- so there is no
 * newlib stdio (and with it no malloc) behind the console.
 */
#ifndef FW_SEMIHOST_H
#define FW_SEMIHOST_H

/* Writes a NUL-terminated string to the host's console (SYS_WRITE0). */
void semihost_write(const char *s);
/* Ends the program: status 0 is a normal exit, anything else an error
 * (SYS_EXIT; QEMU exits with 0 or 1 accordingly). */
_Noreturn void semihost_exit(int status);

#endif
