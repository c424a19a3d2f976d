/* Preloaded into the ranks that the MPI tests start in the sanitize build: dlclose does nothing,
 * so Open MPI's plugins (mca_*.so) stay mapped until the process ends. LeakSanitizer reports at
 * exit, after Open MPI has unloaded them: their allocations then come from "<unknown module>"
 * and no suppression in lsan.supp can name them. Unwinding every malloc the slow way
 * (fast_unwind_on_malloc=0) reached libmpi.so's frames instead, but made the MPI tests 5-15x
 * slower (one data-parallel test: 89 s under the sanitizers, 6 s in the release build). */
int dlclose(void *handle) {
  (void)handle;
  return 0;
}
