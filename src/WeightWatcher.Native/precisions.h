/*
 * Instantiates a precision template (provider_impl.h, spectra_impl.h) in double and then in single
 * precision: the includer names it in WW_TEMPLATE, and the template reads WW_T (the element type) and
 * WW_P (the BLAS/LAPACK letter) through WW_TYPED (exports.h). No include guard: included once per template.
 */
#define WW_T double
#define WW_P d
#include WW_TEMPLATE
#undef WW_T
#undef WW_P

#define WW_T float
#define WW_P s
#include WW_TEMPLATE
#undef WW_T
#undef WW_P

#undef WW_TEMPLATE
