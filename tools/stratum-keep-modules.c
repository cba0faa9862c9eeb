
/*
 * Copyright (C) The Stratum authors
 */


/*
 * Preloaded into nginx by "make test-asan", after the ASan runtime:
 * dlclose() does nothing, so that the modules stay mapped until
 * LeakSanitizer runs at exit.  nginx unloads its dynamic modules with the
 * cycle's pool, before exit; a leak report would then name their frames
 * "<unknown module>" and tools/sanitizer-report could not tell them apart
 * from nginx's.  Nothing else changes.
 */


int dlclose(void *handle);


int
dlclose(void *handle)
{
    (void) handle;

    return 0;
}
