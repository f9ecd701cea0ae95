/*
 * MPI-IO tracing without linking libmpi: the types of the MPI rows' prototypes and the helpers their record items
 * call (src/mpi.c). Every MPI handle is passed through as a register-width integer (Open MPI: pointers; MPICH:
 * 32-bit integers, except MPI_File, a pointer in both); which library runs is found at run time.
 */
#ifndef IOTRACE_MPI_H
#define IOTRACE_MPI_H

#include <stdint.h>

typedef uintptr_t iotrace_mpi_handle; /* MPI_File, MPI_Datatype, MPI_Info, MPI_Comm, MPI_Request by value */
typedef long long iotrace_mpi_offset; /* MPI_Offset: 64 bits in both */
typedef long long iotrace_mpi_count;  /* MPI_Count: 64 bits in both */

/* room for one MPI_Status of either library (Open MPI 24 bytes, MPICH 20) */
#define IOTRACE_MPI_STATUS_WORDS 8

/* > 0 while this thread is inside the real call of an MPI_File_* wrapper: its POSIX records get IN_MPI */
extern __thread int iotrace_mpi_io_depth __attribute__((tls_model("initial-exec")));

/* status, or `own` when status is MPI_STATUS_IGNORE (the call then fills ours, so its count can be read) */
void *iotrace_mpi_status_or_own(void *status, uint64_t *own);
uint64_t iotrace_mpi_file_out(int ret, const void *fh_out);     /* *fh after a successful open, else 0 */
uint64_t iotrace_mpi_file_in(const void *fh);                   /* *fh before the call (close), 0 for NULL */
int64_t iotrace_mpi_offset_out(int ret, const void *offset_out); /* *offset after success, else -1 */
const char *iotrace_mpi_info_text(iotrace_mpi_handle info);     /* "k=v;k=v", per-thread buffer */
int64_t iotrace_mpi_type_bytes(long long count, iotrace_mpi_handle datatype);   /* -1: unknown */
int64_t iotrace_mpi_status_bytes(int ret, void *status, iotrace_mpi_handle datatype);
uint64_t iotrace_mpi_request_out(int ret, const void *request, iotrace_mpi_handle fh, iotrace_mpi_handle datatype,
                                 int is_write);
int64_t iotrace_mpi_split_begin(iotrace_mpi_handle fh, long long count, iotrace_mpi_handle datatype);
int64_t iotrace_mpi_split_end_bytes(int ret, void *status, iotrace_mpi_handle fh);
int iotrace_mpi_after_init(int ret);   /* rank record + clock sync; returns the rank (-1 when Init failed) */
int iotrace_mpi_before_finalize(void); /* clock sync; returns the rank */
void iotrace_mpi_rank_from_env(void);  /* at start: the launcher's rank variables, if any */
int iotrace_mpi_known_rank(void);      /* MPI_Init's rank, else the launcher's; -1 when neither is known */

#define IOTRACE_MPI_FILE_OUT(ret, p) iotrace_mpi_file_out((ret), (p))
#define IOTRACE_MPI_FILE_IN(p) iotrace_mpi_file_in(p)
#define IOTRACE_MPI_OFFSET_OUT(ret, p) iotrace_mpi_offset_out((ret), (p))
#define IOTRACE_MPI_INFO_TEXT(info) iotrace_mpi_info_text(info)
#define IOTRACE_MPI_TYPE_BYTES(count, dt) iotrace_mpi_type_bytes((count), (dt))
#define IOTRACE_MPI_STATUS_BYTES(ret, st, dt) iotrace_mpi_status_bytes((ret), (st), (dt))
#define IOTRACE_MPI_REQUEST_OUT(ret, req, fh, dt, w) iotrace_mpi_request_out((ret), (req), (fh), (dt), (w))
#define IOTRACE_MPI_SPLIT_BEGIN(fh, count, dt) iotrace_mpi_split_begin((fh), (count), (dt))
#define IOTRACE_MPI_SPLIT_END_BYTES(ret, st, fh) iotrace_mpi_split_end_bytes((ret), (st), (fh))
#define IOTRACE_MPI_AFTER_INIT(ret) iotrace_mpi_after_init(ret)
#define IOTRACE_MPI_BEFORE_FINALIZE() iotrace_mpi_before_finalize()

#endif /* IOTRACE_MPI_H */
