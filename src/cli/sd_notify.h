/* The service manager's readiness protocol (sd_notify(3)) without libsystemd: a state
 * string is one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET. Written here
 * because it is a few lines and keeps yubin free of a libsystemd dependency on systems
 * without systemd; the wire format is systemd's documented, stable interface. */
#ifndef CLI_SD_NOTIFY_H
#define CLI_SD_NOTIFY_H
#include <stdint.h>

/* Sends state ("READY=1", "WATCHDOG=1", "STOPPING=1", may hold several lines) when
 * NOTIFY_SOCKET is set ("/path" or "@abstract"). 1 sent, 0 not asked for, -1 failed. */
int sd_notify_send(const char *state);
/* The watchdog interval systemd asks for (WATCHDOG_USEC, for this process when
 * WATCHDOG_PID is set), in microseconds; 0 when there is none. */
uint64_t sd_notify_watchdog_usec(void);

#endif
