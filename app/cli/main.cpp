// outlierlab-cli: the headless front end. Each sub-command lives in its own
// file and is registered in commands.cpp.
#include "commands.h"
#include "core/device.h"

int main(int argc, char** argv) {
    ol::configureProcess(argv);
    return ol::cli::runCli(argc, argv);
}
