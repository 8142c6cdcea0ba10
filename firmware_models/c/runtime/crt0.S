/* Start-up of the SoC firmware (rv32imc, ilp32).
 *
 * Word 0 jumps over the argument block, which sits at fixed offsets so the
 * testbench can patch a built image without relinking:
 *   0x04  magic "FWA1" (0x31415746 as a little-endian word)
 *   0x08  fw_seed   seed of the program's pseudo-random inputs
 *   0x0C  fw_count  iteration count (0: the program's default)
 *   0x10  fw_flags  bit 0 QUICK: skip the timing loops and extra cases (the
 *                   slow simulator's run)
 * Then: stack pointer to the top of RAM (__stack from the linker script),
 * .bss cleared (the RAM image already holds .data), main() called, and its
 * return value written to the control block's EXIT register. A trap (ebreak)
 * follows in case EXIT does not stop the simulation.
 */
    .section .text.start, "ax"
    .option push
    .option norvc
    .globl _start
_start:
    j       reset
    .word   0x31415746
    .globl  fw_seed
fw_seed:
    .word   0
    .globl  fw_count
fw_count:
    .word   0
    .globl  fw_flags
fw_flags:
    .word   0
    .option pop

reset:
    la      sp, __stack
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    main
    call    soc_exit
3:  ebreak
    j       3b
