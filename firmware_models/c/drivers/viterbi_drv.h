/* Driver of the Viterbi unit (viterbi_csr, register block generated from
 * rtl_verif/regs/viterbi_csr.rdl) on its bus path: one trellis step per DIN
 * write, decoded bits drained from the DOUT FIFO (up to 24 per read). */
#ifndef VITERBI_DRV_H
#define VITERBI_DRV_H

#include <stdint.h>

typedef struct {
    uintptr_t base;
    int soft_w, tb_len;   /* the unit's build parameters (PARAMS) */
} viterbi_dev_t;

/* Check the ID, read PARAMS, give the bus the decoder (BUS_MODE). 0 or -1. */
int viterbi_init(viterbi_dev_t *dev, uintptr_t base);

/* Decode one frame of n trellis steps: soft[2k] = SA, soft[2k+1] = SB of step
 * k (signed soft_w-bit values, positive = 0 more likely, 0 = erasure);
 * terminated: the encoder ended in state 0. bits[k] gets decoded bit k (0/1).
 * Returns the number of bits decoded (n), or -1 on a framing error. */
int viterbi_decode(viterbi_dev_t *dev, const int8_t *soft, int n, int terminated, uint8_t *bits);

#endif
