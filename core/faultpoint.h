#pragma once
// Fault injection for the crash tests: with OUTLIERLAB_KILL_AT=<point>[:<n>] in the
// environment, the process kills itself with SIGKILL (as `kill -9` would) the n-th
// time (default: the first) it reaches faultPoint(<point>). Points: "calibration"
// (after a calibration batch), "layer" (a layer quantized, not yet saved),
// "layer-write" (a layer's checkpoint half written), "export-write" (the export's
// weights half written). OUTLIERLAB_STOP_AT=<point>[:<n>] stops it there with
// SIGSTOP instead (a process frozen mid-run, holding what it holds, until SIGCONT).
// OUTLIERLAB_FAIL_AT=<point>[:<n>] throws a RuntimeFailure there (an ordinary
// error, for the tests of what a failed run leaves behind).
// Without the variables a point costs one comparison.
namespace ol {

void faultPoint(const char* point);

} // namespace ol
