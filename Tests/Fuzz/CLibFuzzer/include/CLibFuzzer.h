#include <stddef.h>
#include <stdint.h>

// libFuzzer's own driver (compiler-rt FuzzerInterface.h). SwiftPM links an executable
// with `main` aliased to the target's Swift entry point, so libFuzzer's `main` never
// runs; the target's `main.swift` calls this instead, with the command line and the
// function to fuzz.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
