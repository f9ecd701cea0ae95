#!/bin/sh
# Writes the syscall table of the ptrace fallback (iotrace_syscalls.gen.h) to stdout: for every handle-creating or
# -destroying system call the fallback stops, its name, the functions.tbl row it is recorded as, whether its result
# is needed (exit stop) and the kind of each argument; and its number in each ABI, read from the kernel headers
# installed here (linux-libc-dev): x86_64 asm/unistd_64.h, i386 asm/unistd_32.h, aarch64 asm-generic/unistd.h.
# The output is committed (include/iotrace_syscalls.gen.h); `make` regenerates it into build/ and fails when the two
# differ (`make update-syscalls` copies the new one over).
# Usage: gen-syscalls.sh [include-dir]   (default /usr/include)
set -eu
inc=${1:-/usr/include}
multiarch=$( (gcc -print-multiarch 2>/dev/null || true) | head -n 1)
x86_dir=$inc/asm
[ -f "$x86_dir/unistd_64.h" ] || x86_dir=$inc/${multiarch:-x86_64-linux-gnu}/asm
for f in "$x86_dir/unistd_64.h" "$x86_dir/unistd_32.h" "$inc/asm-generic/unistd.h"; do
  [ -f "$f" ] || { echo "gen-syscalls.sh: $f is missing (install linux-libc-dev)" >&2; exit 1; }
done

# The calls: name | row (functions.tbl id) | class | stop (exit: the result is needed; entry: it is not) | argument
# kinds | ABIs (when not all: i386's __NR_mmap is old_mmap, whose one argument points to the six).
# Class: handle (handle-creating and -destroying calls: every filter stops them where no wrapper made them), data
# (reads, writes and the metadata calls of the shim's rows: the shim reports them itself, so only where there is no
# shim are they stopped: the filter of --own-rings, and --attach), input (data whose row's result is read_bytes: a
# result of 0 is end of input, status EOF, as the shim's wrapper says).
# Kinds (iotrace_syscalls.h): fd int uint ulong ptr size path str oflags mode dupflags fcntlcmd mapflags prot off
# pgoff (mmap2: offset in 4096-byte pages) mremapflags closerangeflags openhow fdpair (int[2] the kernel fills)
# off64 (a 64-bit offset: two registers, low then high, in the i386 ABI) offlo offhi (preadv's pos_l and pos_h: the
# offset is pos_l alone in 64-bit ABIs) offptr loffptr (a transfer's off_t / loff_t pointer) statbuf stat64buf
# statxbuf (a buffer the call fills: its st_size / stx_size is recorded after the call's arguments) addr (an
# address that is recorded, where ptr is not).
calls='
open          | 16  | handle | exit  | path oflags mode
openat        | 18  | handle | exit  | fd path oflags mode
openat2       | 600 | handle | exit  | fd path openhow size
creat         | 24  | handle | exit  | path mode
close         | 26  | handle | entry | fd
close_range   | 116 | handle | entry | uint uint closerangeflags
dup           | 39  | handle | exit  | fd
dup2          | 40  | handle | exit  | fd fd
dup3          | 41  | handle | exit  | fd fd dupflags
fcntl         | 42  | handle | exit  | fd fcntlcmd ulong
fcntl64       | 42  | handle | exit  | fd fcntlcmd ulong | i386
mmap          | 43  | handle | exit  | ptr size prot mapflags fd off | x86_64 aarch64
mmap2         | 43  | handle | exit  | ptr size prot mapflags fd pgoff | i386
mremap        | 119 | handle | exit  | ptr size size mremapflags ptr
socket        | 350 | handle | exit  | int int int
accept        | 355 | handle | exit  | fd ptr ptr
accept4       | 356 | handle | exit  | fd ptr ptr int
pipe          | 105 | handle | exit  | fdpair
pipe2         | 106 | handle | exit  | fdpair int
eventfd       | 360 | handle | exit  | uint
eventfd2      | 360 | handle | exit  | uint int
memfd_create  | 361 | handle | exit  | str uint
read          | 27  | input  | exit  | fd ptr size
write         | 28  | data   | exit  | fd ptr size
pread64       | 30  | input  | exit  | fd ptr size off64
pwrite64      | 32  | data   | exit  | fd ptr size off64
readv         | 33  | input  | exit  | fd ptr int
writev        | 34  | data   | exit  | fd ptr int
preadv        | 62  | input  | exit  | fd ptr int offlo offhi
pwritev       | 64  | data   | exit  | fd ptr int offlo offhi
preadv2       | 66  | input  | exit  | fd ptr int offlo offhi int
pwritev2      | 68  | data   | exit  | fd ptr int offlo offhi int
lseek         | 35  | data   | exit  | fd off int
_llseek       | 36  | data   | exit  | fd uint uint ptr int | i386
fsync         | 37  | data   | exit  | fd
fdatasync     | 38  | data   | exit  | fd
ftruncate     | 72  | data   | exit  | fd off
ftruncate64   | 73  | data   | exit  | fd off64 | i386
fallocate     | 74  | data   | exit  | fd int off64 off64
sendfile      | 111 | input  | exit  | fd fd offptr size
sendfile64    | 112 | input  | exit  | fd fd loffptr size | i386
copy_file_range | 110 | input | exit | fd loffptr fd loffptr size uint
splice        | 113 | input  | exit  | fd loffptr fd loffptr size uint
truncate      | 70  | data   | exit  | path off
truncate64    | 71  | data   | exit  | path off64 | i386
readahead     | 76  | data   | exit  | fd off64 size
syncfs        | 77  | data   | exit  | fd
sync_file_range | 78 | data  | exit  | fd off64 off64 uint
flock         | 79  | data   | exit  | fd int
chdir         | 55  | data   | exit  | path
fchdir        | 56  | data   | exit  | fd
munmap        | 45  | data   | exit  | addr size
msync         | 120 | data   | exit  | addr size int
fstat         | 84  | data   | exit  | fd statbuf
fstat64       | 85  | data   | exit  | fd stat64buf | i386
newfstatat    | 86  | data   | exit  | fd path statbuf int | x86_64 aarch64
fstatat64     | 87  | data   | exit  | fd path stat64buf int | i386
statx         | 315 | data   | exit  | fd path int uint statxbuf
getdents64    | 3029 | input | exit  | fd ptr size
unlink        | 93  | data   | exit  | path
unlinkat      | 94  | data   | exit  | fd path int
rename        | 95  | data   | exit  | path path
renameat      | 96  | data   | exit  | fd path fd path
renameat2     | 326 | data   | exit  | fd path fd path uint
mkdir         | 90  | data   | exit  | path mode
mkdirat       | 91  | data   | exit  | fd path mode
rmdir         | 92  | data   | exit  | path
'

upper() { printf '%s' "$1" | tr 'a-z' 'A-Z'; }

# number of __NR_<name> in a header: a plain number, or __NR3264_<name> (asm-generic's 32/64-bit shared numbers,
# which a 64-bit ABI gets under the plain name), or a plain name defined as one of those (asm-generic's
# __NR_newfstatat, which is __NR3264_fstatat)
number() {
  awk -v name="$2" '
    $1 == "#define" && $2 ~ /^__NR3264_/ && $3 ~ /^[0-9]+$/ { shared[$2] = $3 }
    $1 == "#define" && ($2 == "__NR_" name || $2 == "__NR3264_" name) && $3 ~ /^[0-9]+$/ { print $3; exit }
    $1 == "#define" && $2 == "__NR_" name && ($3 in shared) { print shared[$3]; exit }
  ' "$1"
}

echo '/*'
echo ' * GENERATED by ptrace-fallback/gen/gen-syscalls.sh from the kernel headers (asm/unistd_64.h, asm/unistd_32.h,'
echo ' * asm-generic/unistd.h). Do not edit: change the script and run `make -C ptrace-fallback update-syscalls`.'
echo ' * Types and kinds: iotrace_syscalls.h.'
echo ' */'
echo '#ifndef IOTRACE_SYSCALLS_GEN_H'
echo '#define IOTRACE_SYSCALLS_GEN_H'
echo
echo 'enum iotrace_sc {'
echo "$calls" | while IFS='|' read -r name row class stop kinds abis; do
  name=$(echo $name); [ -n "$name" ] || continue
  echo "    IOTRACE_SC_$(upper "$name"),"
done
echo '    IOTRACE_SC_COUNT'
echo '};'
echo
echo 'static const struct iotrace_sc_info iotrace_sc_info[IOTRACE_SC_COUNT] = {'
echo "$calls" | while IFS='|' read -r name row class stop kinds abis; do
  name=$(echo $name); [ -n "$name" ] || continue
  row=$(echo $row); class=$(echo $class); stop=$(echo $stop)
  args=""; n=0
  for k in $kinds; do args="$args IOTRACE_ARG_$(upper "$k"),"; n=$((n + 1)); done
  printf '    [IOTRACE_SC_%s] = {"%s", %s, IOTRACE_CLASS_%s, IOTRACE_STOP_%s, %d, {%s}},\n' "$(upper "$name")" \
    "$name" "$row" "$(upper "$class")" "$(upper "$stop")" "$n" "$(echo "$args" | sed 's/^ //; s/,$//')"
done
echo '};'

for abi in x86_64:$x86_dir/unistd_64.h i386:$x86_dir/unistd_32.h aarch64:$inc/asm-generic/unistd.h; do
  tag=${abi%%:*}; header=${abi#*:}
  echo
  echo "/* $tag: $(basename "$(dirname "$header")")/$(basename "$header") */"
  echo "static const struct iotrace_sc_number iotrace_sc_$tag[] = {"
  echo "$calls" | while IFS='|' read -r name row class stop kinds abis; do
    name=$(echo $name); [ -n "$name" ] || continue
    case " $(echo $abis) " in "  " | *" $tag "*) ;; *) continue ;; esac
    nr=$(number "$header" "$name")
    [ -n "$nr" ] && printf '    {%s, IOTRACE_SC_%s},\n' "$nr" "$(upper "$name")"
  done
  echo '};'
done
echo
echo '#endif /* IOTRACE_SYSCALLS_GEN_H */'
