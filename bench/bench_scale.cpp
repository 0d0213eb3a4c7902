// bench_scale: peak memory and wall time of outlierlab-cli on LLaMA-sized models.
//
// Real 1.1B/7B checkpoints are large downloads with licences; the memory a run
// needs depends on the shapes, not on the values, so this program writes
// LLaMA-shaped Hugging Face directories with random F16 weights (and a
// 32000-token llama2.c tokenizer so the CLI can tokenize the bundled text),
// runs the real CLI on them as child processes and reports each child's peak
// RSS (wait4's ru_maxrss) and wall time as a markdown table.
//
// Standalone on purpose (standard library, POSIX, nlohmann/json): it measures
// the CLI from outside, as a user runs it, so it shares no code with it.
//   g++ -std=c++20 -O2 -o /tmp/bench_scale bench/bench_scale.cpp bench/scalemodel.cpp
//   /tmp/bench_scale --shapes tiny
#include "scalemodel.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace scalebench;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// ---------------------------------------------------------------- interrupts
// Ctrl-C must not leave a 13.5 GB model in /tmp: the handler forwards the
// signal to the running child and the main flow unwinds to the cleanup.
volatile std::sig_atomic_t gStopSignal = 0;
volatile pid_t gChild = 0;

void onSignal(int sig) {
    gStopSignal = sig;
    if (gChild > 0) kill(gChild, sig);
}

struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
};

// ---------------------------------------------------------------- child processes
struct ChildResult {
    int status = 0; // raw wait status
    double wallSeconds = 0;
    double peakGiB = 0; // ru_maxrss of the child alone
    std::string stdoutText, lastStderrLine;
};

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string lastLine(const std::string& text) {
    // progress output rewrites lines with '\r'; the last non-empty piece is what a terminal shows
    std::string last, cur;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            if (!cur.empty()) last = cur;
            cur.clear();
        } else {
            cur += c;
        }
    }
    return cur.empty() ? last : cur;
}

// posix_spawn + wait4: wait4's rusage is the child's own (and its waited-for
// children's), unlike getrusage(RUSAGE_CHILDREN), which is a maximum over all
// children so far and would hide a smaller run after a larger one.
ChildResult runChild(const std::vector<std::string>& argv, const fs::path& logDir) {
    const fs::path outFile = logDir / "child.stdout", errFile = logDir / "child.stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    ChildResult r;
    const auto start = Clock::now();
    pid_t pid = 0;
    const int err = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(err));
    gChild = pid;
    if (gStopSignal) kill(pid, gStopSignal); // a signal that came before gChild was set
    rusage usage{};
    while (wait4(pid, &r.status, 0, &usage) < 0) {
        if (errno != EINTR) throw std::runtime_error(std::string("wait4: ") + std::strerror(errno));
    }
    gChild = 0;
    r.wallSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.peakGiB = usage.ru_maxrss * 1024.0 / kGiB; // Linux: kilobytes
    r.stdoutText = readFile(outFile);
    r.lastStderrLine = lastLine(readFile(errFile));
    checkInterrupt();
    return r;
}

// ---------------------------------------------------------------- jobs and rows
struct Job {
    std::string shape, command; // command: "eval" or a method name
    int nsamples, seqlen;
    std::string key() const { return shape + "|" + command + "|" + std::to_string(nsamples) + "|" + std::to_string(seqlen); }
    std::string label() const {
        const std::string head = command == "eval" ? "eval" : "quantize " + command;
        return head + " n" + std::to_string(nsamples) + " s" + std::to_string(seqlen);
    }
};

struct Row {
    Job job;
    std::string wall = "—", peak = "—", estimate = "—", stages, exit;
    double peakGiB = -1;
    double wallSeconds = -1;
};

std::string fixed(double v, int decimals) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

// Markdown cells: a '|' in an error message would split the cell.
std::string cell(std::string s) {
    if (s.size() > 160) s = s.substr(0, 157) + "...";
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

std::string stageSummary(const nlohmann::json& seconds) {
    if (seconds.is_number()) return "eval " + fixed(seconds.get<double>(), 1);
    if (!seconds.is_object()) return "";
    // fixed order (nlohmann sorts keys), abbreviated so the table stays readable
    static const std::vector<std::pair<std::string, std::string>> kStages = {
        {"calibration", "cal"},      {"smoothing", "smooth"}, {"transforms", "xform"}, {"weights", "wts"},
        {"reports", "rep"},          {"training", "train"},   {"forward", "fwd"},      {"checkpoint", "ckpt"},
        {"quantize_total", "quant"}, {"evaluation", "eval"},  {"export", "export"}};
    std::string out;
    std::set<std::string> known;
    for (const auto& [key, abbrev] : kStages) {
        known.insert(key);
        if (seconds.contains(key) && seconds[key].is_number())
            out += (out.empty() ? "" : " ") + abbrev + " " + fixed(seconds[key].get<double>(), 1);
    }
    for (const auto& [key, v] : seconds.items()) // stages added to the CLI later still show
        if (!known.count(key) && v.is_number()) out += " " + key + " " + fixed(v.get<double>(), 1);
    return out;
}

Row rowFrom(const Job& job, const ChildResult& r) {
    Row row;
    row.job = job;
    row.wallSeconds = r.wallSeconds;
    row.peakGiB = r.peakGiB;
    row.wall = fixed(r.wallSeconds, 1);
    row.peak = fixed(r.peakGiB, 2);
    if (WIFSIGNALED(r.status)) {
        row.exit = "signal " + std::to_string(WTERMSIG(r.status)) + (WTERMSIG(r.status) == SIGKILL ? " (OOM?)" : "");
        row.stages = cell(r.lastStderrLine);
        return row;
    }
    const int code = WEXITSTATUS(r.status);
    row.exit = std::to_string(code);
    if (code != 0) {
        row.stages = cell(r.lastStderrLine);
        return row;
    }
    // --json prints one object; take the last line that is one, in case of other output
    nlohmann::json j;
    std::istringstream lines(r.stdoutText);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line[0] == '{') j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) {
        row.stages = "stdout is not a JSON object";
        row.exit = "0 (no JSON)";
        return row;
    }
    row.stages = stageSummary(j.value("seconds", nlohmann::json()));
    if (j.contains("memory") && j["memory"].is_object() && j["memory"].contains("estimate_bytes") &&
        j["memory"]["estimate_bytes"].is_number()) {
        const double est = j["memory"]["estimate_bytes"].get<double>() / kGiB;
        row.estimate = fixed(est, 2) + (r.peakGiB > 0 ? " (" + fixed(est / r.peakGiB, 2) + "×)" : "");
    }
    return row;
}

// ---------------------------------------------------------------- options
struct Options {
    std::vector<std::string> shapes = {"1.1b", "7b"};
    std::vector<std::string> methods = {"rtn", "duquant"};
    bool skipEval = false, keep = false, growth = false;
    std::string workdir, cli = "build/release/app/cli/outlierlab-cli";
};

const char* const kUsage = "usage: bench_scale [options]\n"
                           "Writes LLaMA-shaped models with random F16 weights and a 32000-token tokenizer, runs\n"
                           "outlierlab-cli eval/quantize on them and prints each child's wall time and peak RSS.\n"
                           "  --shapes LIST    comma-separated: tiny, 1.1b (TinyLlama), 7b (LLaMA-2) (default 1.1b,7b);\n"
                           "                   '' for none (with --growth: only the growth rows)\n"
                           "  --methods LIST   quantize methods (default rtn,duquant; duquant with --block_size 128)\n"
                           "  --skip-eval      no eval rows\n"
                           "  --growth         also: 1.1b rtn at nsamples 4/8 and seqlen 256/512, eval tiny vs 1.1b\n"
                           "  --cli PATH       the CLI (default build/release/app/cli/outlierlab-cli)\n"
                           "  --workdir DIR    where the models go (default $TMPDIR or /tmp); a fresh subdirectory\n"
                           "  --keep           keep the generated models and exports (default: removed at exit)\n"
                           "  --help\n";

std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string part; std::getline(ss, part, ',');) {
        std::transform(part.begin(), part.end(), part.begin(), [](unsigned char c) { return std::tolower(c); });
        if (!part.empty()) out.push_back(part);
    }
    return out;
}

const Shape* findShape(const std::string& name) {
    for (const auto& s : kShapes)
        if (s.name == name) return &s;
    return nullptr;
}

Options parseOptions(int argc, char** argv) {
    Options o;
    const char* tmp = std::getenv("TMPDIR");
    o.workdir = tmp && *tmp ? tmp : "/tmp";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (a == "--shapes")
            o.shapes = splitList(value());
        else if (a == "--methods")
            o.methods = splitList(value());
        else if (a == "--skip-eval")
            o.skipEval = true;
        else if (a == "--keep")
            o.keep = true;
        else if (a == "--growth")
            o.growth = true;
        else if (a == "--workdir")
            o.workdir = value();
        else if (a == "--cli")
            o.cli = value();
        else
            throw std::invalid_argument("unknown option " + a);
    }
    for (const auto& s : o.shapes)
        if (!findShape(s)) throw std::invalid_argument("unknown shape '" + s + "' (tiny, 1.1b, 7b)");
    return o;
}

std::vector<std::string> commandLine(const Options& o, const Job& job, const fs::path& model, const fs::path& exportDir) {
    const std::string n = std::to_string(job.nsamples), s = std::to_string(job.seqlen);
    if (job.command == "eval") return {o.cli, "eval", "--model", model.string(), "--seqlen", s, "--nsamples", n, "--json"};
    std::vector<std::string> a = {o.cli, "quantize", "--model", model.string(), "--method", job.command};
    if (job.command == "duquant") a.insert(a.end(), {"--block_size", "128"});
    a.insert(a.end(), {"--wbits", "4", "--abits", "4", "--nsamples", n, "--seqlen", s, "--eval_ppl", "--limit", "2", "--export",
                       exportDir.string(), "--json"});
    return a;
}

std::string joined(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
    return out;
}

// ---------------------------------------------------------------- the run
void printTable(const std::vector<Row>& rows) {
    std::printf("| shape | command | wall s | peak RSS GiB | estimate GiB (est/peak) | stage seconds | exit |\n");
    std::printf("|---|---|---:|---:|---:|---|---|\n");
    for (const auto& r : rows)
        std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", r.job.shape.c_str(), r.job.label().c_str(), r.wall.c_str(),
                    r.peak.c_str(), r.estimate.c_str(), r.stages.c_str(), r.exit.c_str());
}

void printGrowth(const std::map<std::string, Row>& done) {
    struct Pair {
        std::string what;
        Job base, grown;
    };
    const std::vector<Pair> pairs = {
        {"model size (eval n2 s512)", {"tiny", "eval", 2, 512}, {"1.1b", "eval", 2, 512}},
        {"nsamples (1.1b rtn, s512)", {"1.1b", "rtn", 4, 512}, {"1.1b", "rtn", 8, 512}},
        {"seqlen (1.1b rtn, n4)", {"1.1b", "rtn", 4, 256}, {"1.1b", "rtn", 4, 512}},
    };
    std::printf("\n| growth in | from | peak RSS GiB | to | peak RSS GiB | ratio |\n|---|---|---:|---|---:|---:|\n");
    for (const auto& p : pairs) {
        const auto a = done.find(p.base.key()), b = done.find(p.grown.key());
        // a failed run's peak says nothing about the growth: shown as "—" with its exit status
        auto peakOf = [&](const std::map<std::string, Row>::const_iterator it) {
            if (it == done.end()) return std::string("—");
            if (it->second.exit != "0" || it->second.peakGiB <= 0) return "— (exit " + it->second.exit + ")";
            return fixed(it->second.peakGiB, 2);
        };
        const bool ok = a != done.end() && b != done.end() && a->second.exit == "0" && b->second.exit == "0" &&
                        a->second.peakGiB > 0 && b->second.peakGiB > 0;
        std::printf("| %s | %s %s | %s | %s %s | %s | %s |\n", p.what.c_str(), p.base.shape.c_str(), p.base.label().c_str(),
                    peakOf(a).c_str(), p.grown.shape.c_str(), p.grown.label().c_str(), peakOf(b).c_str(),
                    ok ? (fixed(b->second.peakGiB / a->second.peakGiB, 2) + "×").c_str() : "—");
    }
}

double freeDiskBytes(const fs::path& dir) {
    struct statvfs st {};
    if (statvfs(dir.c_str(), &st) != 0) return -1;
    return static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
}

int run(const Options& o, const fs::path& root) {
    // Jobs grouped by shape: one model on disk at a time, removed when its jobs are done.
    std::vector<Job> jobs;
    auto addJob = [&](const Job& j) {
        for (const auto& have : jobs)
            if (have.key() == j.key()) return;
        jobs.push_back(j);
    };
    for (const auto& s : o.shapes) {
        if (!o.skipEval) addJob({s, "eval", 2, 512});
        for (const auto& m : o.methods) addJob({s, m, 4, 512});
    }
    if (o.growth) {
        // the 1.1b rtn n4 s512 and eval rows are shared with the main table when it has them
        for (const Job& j : std::vector<Job>{{"1.1b", "rtn", 4, 512},
                                             {"1.1b", "rtn", 8, 512},
                                             {"1.1b", "rtn", 4, 256},
                                             {"1.1b", "eval", 2, 512},
                                             {"tiny", "eval", 2, 512}})
            addJob(j);
    }
    std::vector<std::string> shapeOrder;
    for (const auto& j : jobs)
        if (std::find(shapeOrder.begin(), shapeOrder.end(), j.shape) == shapeOrder.end()) shapeOrder.push_back(j.shape);

    std::map<std::string, Row> done;
    auto report = [&] {
        std::vector<Row> rows;
        for (const auto& j : jobs)
            if (done.count(j.key())) rows.push_back(done.at(j.key()));
        printTable(rows);
        if (o.growth) printGrowth(done);
        for (const auto& r : rows)
            if (r.exit != "0") return 1;
        return rows.size() == jobs.size() ? 0 : 1;
    };
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
    const double ramBytes = pages > 0 && pageSize > 0 ? static_cast<double>(pages) * pageSize : 0;
    try {
        for (const auto& name : shapeOrder) {
            const Shape& shape = *findShape(name);
            const fs::path model = root / ("llama-" + shape.name);
            const std::uint64_t params = parameterCount(shape);
            // the F16 file, plus as much again for an export (float32 embedding and
            // head plus packed layers stay below the F16 size), plus 1 GiB slack
            const double need = params * 2.0 * 2 + kGiB, free = freeDiskBytes(root);
            if (free >= 0 && free < need) {
                const std::string why = "skipped: needs " + fixed(need / 1e9, 1) + " GB free disk in " + root.string() +
                                        ", has " + fixed(free / 1e9, 1) + " GB";
                std::fprintf(stderr, "%s: %s\n", name.c_str(), why.c_str());
                for (const auto& j : jobs)
                    if (j.shape == name) done[j.key()] = Row{j, "—", "—", "—", why, "—"};
                continue;
            }
            if (ramBytes > 0 && params * 4.0 > ramBytes)
                std::fprintf(stderr, "%s: note: float32 weights alone are %.1f GB; this machine has %.1f GB of memory\n",
                             name.c_str(), params * 4.0 / 1e9, ramBytes / 1e9);

            std::fprintf(stderr, "%s: writing %s (%.2fB parameters, %.1f GB F16)\n", name.c_str(), model.c_str(), params / 1e9,
                         params * 2.0 / 1e9);
            fs::create_directories(model);
            writeConfig(model, shape);
            writeTokenizer(model / "tokenizer.bin", static_cast<std::size_t>(shape.vocab));
            const auto start = Clock::now();
            const std::uint64_t bytes = writeSafetensors(model / "model.safetensors", shape, name);
            const double s = std::chrono::duration<double>(Clock::now() - start).count();
            std::fprintf(stderr, "%s: model.safetensors %.1f MB in %.1f s (%.0f MB/s)\n", name.c_str(), bytes / 1e6, s,
                         bytes / 1e6 / std::max(s, 1e-9));

            for (const auto& job : jobs) {
                if (job.shape != name) continue;
                const fs::path exportDir = root / ("export-" + name + "-" + job.command + "-n" + std::to_string(job.nsamples) +
                                                   "-s" + std::to_string(job.seqlen));
                const auto argv = commandLine(o, job, model, exportDir);
                std::fprintf(stderr, "%s: running %s\n", name.c_str(), joined(argv).c_str());
                const auto result = runChild(argv, root);
                Row row = rowFrom(job, result);
                std::fprintf(stderr, "%s: %s: exit %s, %.1f s, peak RSS %.2f GiB%s\n", name.c_str(), job.label().c_str(),
                             row.exit.c_str(), result.wallSeconds, result.peakGiB,
                             row.exit == "0" ? "" : ("; " + result.lastStderrLine).c_str());
                done[job.key()] = row;
                if (!o.keep) fs::remove_all(exportDir);
            }
            if (!o.keep) fs::remove_all(model);
        }
    } catch (const Interrupted&) {
        report(); // what finished before the signal is still worth having
        throw;
    }
    return report();
}

} // namespace

void scalebench::checkInterrupt() {
    if (gStopSignal) throw Interrupted();
}

int main(int argc, char** argv) {
    Options o;
    try {
        o = parseOptions(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_scale: %s\n%s", e.what(), kUsage);
        return 2;
    }
    if (!halfConversionWorks()) {
        std::fprintf(stderr, "bench_scale: internal error: float->half conversion is wrong\n");
        return 3;
    }
    std::error_code ec;
    const fs::path cli = fs::absolute(o.cli, ec);
    if (ec || access(cli.c_str(), X_OK) != 0) {
        std::fprintf(stderr, "bench_scale: %s is not an executable; build the CLI or pass --cli\n", o.cli.c_str());
        return 2;
    }
    o.cli = cli.string();

    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);

    std::string pattern = (fs::path(o.workdir) / "outlierlab-bench-scale-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
        std::fprintf(stderr, "bench_scale: cannot create a directory in %s: %s\n", o.workdir.c_str(), std::strerror(errno));
        return 2;
    }
    const fs::path root = pattern;
    int rc = 0;
    try {
        rc = run(o, root);
    } catch (const Interrupted&) {
        std::fprintf(stderr, "bench_scale: interrupted by signal %d\n", static_cast<int>(gStopSignal));
        rc = 128 + gStopSignal;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_scale: %s\n", e.what());
        rc = 1;
    }
    if (o.keep) {
        std::fprintf(stderr, "bench_scale: kept %s\n", root.c_str());
    } else {
        fs::remove_all(root, ec);
        if (ec) std::fprintf(stderr, "bench_scale: could not remove %s: %s\n", root.c_str(), ec.message().c_str());
    }
    return rc;
}
