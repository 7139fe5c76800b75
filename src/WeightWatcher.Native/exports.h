/* Shared declarations of the native provider. */
#ifndef WW_EXPORTS_H
#define WW_EXPORTS_H

#define WW_EXPORT __attribute__((visibility("default")))

/*
 * Return codes of the project's own entry points besides LAPACK's info codes (0 success, > 0 no
 * convergence, < 0 the 1-based index of a bad argument, negated). The C# side mirrors these in
 * NativeStatus; the values sit far below any argument index so the two never collide.
 */
enum ww_status
{
    WW_OK = 0,
    WW_ERR_NOMEM = -1000,     /* a work buffer cannot be allocated */
    WW_ERR_NONFINITE = -1001, /* the input holds NaN or an infinity */
};

/* Revision of this provider's own entry points (reported by query_capability(64) and ww_revision()).
   2: the spectral entry points take a const double matrix in both precisions and return doubles. */
#define WW_PROVIDER_REVISION 2

/*
 * Name mangling for the precision templates (provider_impl.h, spectra_impl.h): precisions.h defines
 * WW_T (double or float) and WW_P (d or s), and WW_TYPED(cblas_, gemm) names cblas_dgemm or cblas_sgemm.
 * Two levels so that WW_P is expanded before it is pasted.
 */
#define WW_PASTE3_(a, b, c) a##b##c
#define WW_PASTE3(a, b, c) WW_PASTE3_(a, b, c)
#define WW_TYPED(prefix, name) WW_PASTE3(prefix, WW_P, name)

#endif
