/* grow.h - one growth macro for arrays (git's ALLOC_GROW).
 *
 * RS_GROW(ptr, need, cap) makes the array `ptr`, which has room for `cap`
 * elements, hold at least `need`: when need > cap it reallocates to
 * rs_grow_capacity(cap, need, sizeof *ptr) elements and stores the new
 * capacity in `cap` (a size_t lvalue). It evaluates to 0, or to
 * RS_ERR_INTERNAL when the size overflows or memory runs out; then `ptr` and
 * `cap` are unchanged, so the caller still owns and frees the old array.
 * `ptr` and `cap` are evaluated more than once: pass plain lvalues.
 *
 * A `cap` smaller than what `ptr` really holds is safe (zero-initialised
 * structs whose array was allocated elsewhere): it only costs a realloc. */
#ifndef RS_GROW_H
#define RS_GROW_H

#include "err.h"

#include <stdint.h>
#include <stdlib.h>

/* The capacity after `cap` when `need` elements of `elem` bytes are needed:
 * git's alloc_nr, (cap + 16) * 3 / 2, or `need` when that is more (or when the
 * geometric step would overflow). 0 when need * elem does not fit a size_t. */
static inline size_t rs_grow_capacity(size_t cap, size_t need, size_t elem)
{
    size_t max = SIZE_MAX / (elem ? elem : 1);
    if (need > max)
        return 0;
    size_t next = need;
    if (cap <= max && max - cap >= 16) {
        size_t x = cap + 16;
        if (x / 2 <= max - x)
            next = x + x / 2; /* (cap + 16) * 3 / 2 without overflow */
    }
    return next < need ? need : next;
}

#define RS_GROW(ptr, need, cap)                                                                    \
    __extension__({                                                                                \
        size_t rs_grow_need_ = (need);                                                             \
        int rs_grow_rc_ = 0;                                                                       \
        if (rs_grow_need_ > (cap)) {                                                               \
            size_t rs_grow_nc_ = rs_grow_capacity((cap), rs_grow_need_, sizeof *(ptr));            \
            void *rs_grow_p_ = rs_grow_nc_ ? realloc((ptr), rs_grow_nc_ * sizeof *(ptr)) : NULL;   \
            if (rs_grow_p_) {                                                                      \
                (ptr) = rs_grow_p_;                                                                \
                (cap) = rs_grow_nc_;                                                               \
            } else {                                                                               \
                rs_grow_rc_ = RS_ERR_INTERNAL;                                                     \
            }                                                                                      \
        }                                                                                          \
        rs_grow_rc_;                                                                               \
    })

#endif
