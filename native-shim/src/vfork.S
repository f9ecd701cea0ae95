/*
 * vfork (row 450 of functions.tbl): the child runs on the parent's stack until it execs or exits, so no C frame may
 * be live across the syscall (the child would return through it and wreck it for the parent). The return address
 * is kept in a register (as glibc's own vfork does); iotrace_vfork_enter runs before the syscall, and in the
 * parent iotrace_vfork_leave is tail-called after it (it records and sets errno); the child returns directly.
 */
#ifdef __x86_64__
    .text
    .globl vfork
    .type vfork, @function
    .p2align 4
vfork:
    .cfi_startproc
    endbr64
    subq $8, %rsp                 /* 16-byte alignment for the call */
    .cfi_adjust_cfa_offset 8
    call iotrace_vfork_enter
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq %rdi                     /* return address: the child may overwrite the stack slot */
    .cfi_adjust_cfa_offset -8
    .cfi_register %rip, %rdi
    movl $58, %eax                /* SYS_vfork */
    syscall
    pushq %rdi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rip, 0
    testq %rax, %rax
    jz 1f                         /* child: back to the caller, nothing touched */
    movq %rax, %rdi
    jmp iotrace_vfork_leave       /* parent: records, sets errno on failure, returns to our caller */
1:
    ret
    .cfi_endproc
    .size vfork, .-vfork
#else
#error "vfork trampoline: only x86_64 is written"
#endif
    .section .note.GNU-stack,"",@progbits
