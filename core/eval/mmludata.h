#pragma once
// The MMLU data set as the original evaluation reads it: DIR/test/<subject>_test.csv and
// DIR/dev/<subject>_dev.csv, headerless CSV rows `question,A,B,C,D,answer`.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

struct MmluQuestion {
    std::string question;
    std::array<std::string, 4> choices; // the texts of A, B, C, D
    int answer = 0;                     // 0..3 for A..D
    std::int64_t line = 0;              // where the row starts in its file, for messages
};

struct MmluSubject {
    std::string name;               // the file stem, "abstract_algebra"
    std::vector<MmluQuestion> dev;  // the shot examples; empty when loaded for zero shots
    std::vector<MmluQuestion> test; // the questions to answer
};

// One CSV file. Throws FormatError naming the file and line: not a regular file, empty, a row without six
// fields, an answer other than A-D, CSV syntax (csvparser.h).
std::vector<MmluQuestion> readMmluFile(const std::string& path);

// The subjects with a DIR/test/<subject>_test.csv, sorted. Throws UsageError naming `mmlu_data_dir` when the
// directory, its test/ folder or any test file is missing.
std::vector<std::string> listMmluSubjects(const std::string& dataDir);

// The subjects to evaluate (all listed ones when `only` is empty; otherwise `only`, each of which must be listed:
// UsageError naming `mmlu_subjects`), sorted, with at most `limit` test questions each (-1: all) and, when
// shots > 0, their dev files (FormatError when one is missing; UsageError naming `mmlu_shots` when it has
// fewer than `shots` rows).
std::vector<MmluSubject> loadMmluData(const std::string& dataDir, const std::vector<std::string>& only, std::int64_t shots,
                                      std::int64_t limit);

} // namespace ol
