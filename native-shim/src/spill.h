/*
 * The spill file O/.iotrace-spill/<pid>-<inc>.spill (iotrace_format.h section 4): where the records of an
 * incarnation go for good once its ring was full with no collector alive.
 */
#ifndef IOTRACE_SPILL_H
#define IOTRACE_SPILL_H

#include <stdint.h>

/* Appends one framed record (rec[0..8) is filled here) with a single write(2). 0 on success. */
int iotrace_spill_write(unsigned char *rec, uint32_t record_length, int32_t type);

/* the spill fd, -1 when none: never a program fd */
int iotrace_spill_fd(void);

/* fork child: the parent's spill fd is not ours any more */
void iotrace_spill_forget(void);

#endif /* IOTRACE_SPILL_H */
