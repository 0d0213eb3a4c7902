#include "core/eval/mmludata.h"

#include "core/errors.h"
#include "core/eval/csvparser.h"
#include "core/io/filecheck.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace fs = std::filesystem;

namespace ol {

namespace {

constexpr std::string_view kTestSuffix = "_test.csv";

std::string readWholeFile(const std::string& path) {
    requireRegularFile(path, "MMLU CSV file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path + ": cannot be opened");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

MmluQuestion toQuestion(const CsvRecord& r, const std::string& path) {
    const auto where = path + " line " + std::to_string(r.line) + ": ";
    if (r.fields.size() != 6)
        throw FormatError(where + std::to_string(r.fields.size()) + " fields, expected 6 (question,A,B,C,D,answer)");
    const auto& answer = r.fields[5];
    if (answer.size() != 1 || answer[0] < 'A' || answer[0] > 'D')
        throw FormatError(where + "answer \"" + answer + "\" is not one of A, B, C, D");
    MmluQuestion q;
    q.question = r.fields[0];
    std::copy(r.fields.begin() + 1, r.fields.begin() + 5, q.choices.begin());
    q.answer = answer[0] - 'A';
    q.line = r.line;
    return q;
}

std::string testPath(const std::string& dataDir, const std::string& subject) {
    return (fs::path(dataDir) / "test" / (subject + std::string(kTestSuffix))).string();
}

std::string devPath(const std::string& dataDir, const std::string& subject) {
    return (fs::path(dataDir) / "dev" / (subject + "_dev.csv")).string();
}

} // namespace

std::vector<MmluQuestion> readMmluFile(const std::string& path) {
    const auto records = parseCsv(readWholeFile(path), path);
    if (records.empty()) throw FormatError(path + " line 1: empty file (no questions)");
    std::vector<MmluQuestion> out;
    out.reserve(records.size());
    for (const auto& r : records) out.push_back(toQuestion(r, path));
    return out;
}

std::vector<std::string> listMmluSubjects(const std::string& dataDir) {
    std::error_code ec;
    if (!fs::is_directory(dataDir, ec)) throw UsageError("`mmlu_data_dir` " + dataDir + ": no such directory");
    const auto testDir = fs::path(dataDir) / "test";
    if (!fs::is_directory(testDir, ec))
        throw UsageError("`mmlu_data_dir` " + dataDir + " has no test/ folder (expected test/<subject>_test.csv)");
    std::vector<std::string> subjects;
    for (const auto& entry : fs::directory_iterator(testDir)) {
        const auto name = entry.path().filename().string();
        if (name.size() > kTestSuffix.size() && name.ends_with(kTestSuffix))
            subjects.push_back(name.substr(0, name.size() - kTestSuffix.size()));
    }
    if (subjects.empty()) throw UsageError("`mmlu_data_dir` " + dataDir + ": no <subject>_test.csv files in " + testDir.string());
    std::sort(subjects.begin(), subjects.end());
    return subjects;
}

std::vector<MmluSubject> loadMmluData(const std::string& dataDir, const std::vector<std::string>& only, std::int64_t shots,
                                      std::int64_t limit) {
    if (shots < 0) throw UsageError("`mmlu_shots` must be 0 or more (got " + std::to_string(shots) + ")");
    if (limit < -1 || limit == 0)
        throw UsageError("`mmlu_limit` must be positive, or -1 for every question (got " + std::to_string(limit) + ")");
    const auto listed = listMmluSubjects(dataDir);
    auto names = listed;
    if (!only.empty()) {
        const std::set<std::string> wanted(only.begin(), only.end()); // sorted and without repeats
        for (const auto& name : wanted)
            if (!std::binary_search(listed.begin(), listed.end(), name))
                throw UsageError("`mmlu_subjects`: no test file for \"" + name + "\" (" + testPath(dataDir, name) + ")");
        names.assign(wanted.begin(), wanted.end());
    }
    std::vector<MmluSubject> out;
    for (const auto& name : names) {
        MmluSubject s{name, {}, readMmluFile(testPath(dataDir, name))};
        if (limit > 0 && static_cast<std::int64_t>(s.test.size()) > limit) s.test.resize(static_cast<std::size_t>(limit));
        if (shots > 0) {
            const auto path = devPath(dataDir, name);
            s.dev = readMmluFile(path);
            if (static_cast<std::int64_t>(s.dev.size()) < shots)
                throw UsageError(path + " has " + std::to_string(s.dev.size()) + " examples, fewer than `mmlu_shots` " +
                                 std::to_string(shots));
            s.dev.resize(static_cast<std::size_t>(shots)); // only the first `shots` rows are ever used
        }
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace ol
