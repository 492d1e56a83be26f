#pragma once
#include <linear.h>

/// liblinear prints training progress to stdout unless given a print function; this one drops it.
static void pulse_linear_print_nothing(const char *text) { (void)text; }

/// Silences liblinear's progress output (a process-wide setting in liblinear).
static inline void pulse_linear_silence(void) { set_print_string_function(pulse_linear_print_nothing); }
