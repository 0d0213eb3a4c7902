#include "commands.h"
#include "errors.h"
namespace ol::cli {
int runEval(const Args&) { throw UsageError("eval: not built yet"); }
int runConvert(const Args&) { throw UsageError("convert: not built yet"); }
}
