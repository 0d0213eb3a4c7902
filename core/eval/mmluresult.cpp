#include "core/eval/mmluresult.h"

#include "core/eval/mmlucategories.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ol {

namespace {

double ratio(std::int64_t correct, std::int64_t questions) {
    return questions > 0 ? static_cast<double>(correct) / static_cast<double>(questions) : 0.0;
}

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

// RFC 4180 quoting, only where needed ("other (business, health, misc.)" has commas).
std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string shotsText(const MmluSubjectResult& s) {
    if (s.minShots == s.maxShots) return std::to_string(s.minShots);
    return std::to_string(s.minShots) + "-" + std::to_string(s.maxShots);
}

// Columns: the first two left-aligned, the others right-aligned; an empty row is a blank line.
std::string alignedTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            width[c] = std::max(width[c], row[c].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            const std::string pad(width[c] - row[c].size(), ' ');
            if (c > 0) line += "  ";
            line += c < 2 ? row[c] + pad : pad + row[c];
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

} // namespace

void summarizeMmlu(MmluResult& r) {
    r.categories.clear();
    r.questions = r.correct = 0;
    double accuracySum = 0;
    for (auto& s : r.subjects) {
        const auto c = mmluSubjectCategory(s.subject);
        s.category = c.category;
        s.known = c.known;
        s.questions = static_cast<std::int64_t>(s.perQuestion.size());
        s.correct = s.truncated = 0;
        s.minShots = s.perQuestion.empty() ? 0 : s.perQuestion.front().shots;
        s.maxShots = s.minShots;
        for (const auto& q : s.perQuestion) {
            s.correct += q.correct ? 1 : 0;
            s.truncated += q.truncated ? 1 : 0;
            s.minShots = std::min(s.minShots, q.shots);
            s.maxShots = std::max(s.maxShots, q.shots);
        }
        s.accuracy = ratio(s.correct, s.questions);
        r.questions += s.questions;
        r.correct += s.correct;
        accuracySum += s.accuracy;
    }
    for (const auto& name : mmluCategories()) {
        MmluCategoryResult c{name};
        for (const auto& s : r.subjects)
            if (s.category == name) {
                ++c.subjects;
                c.questions += s.questions;
                c.correct += s.correct;
            }
        c.accuracy = ratio(c.correct, c.questions);
        if (c.subjects > 0) r.categories.push_back(c);
    }
    r.microAccuracy = ratio(r.correct, r.questions);
    r.macroAccuracy = r.subjects.empty() ? 0.0 : accuracySum / static_cast<double>(r.subjects.size());
}

std::vector<std::string> MmluResult::unknownSubjects() const {
    std::vector<std::string> out;
    for (const auto& s : subjects)
        if (!s.known) out.push_back(s.subject);
    return out;
}

std::int64_t MmluResult::truncated() const {
    std::int64_t n = 0;
    for (const auto& s : subjects) n += s.truncated;
    return n;
}

std::string MmluResult::protocol() const {
    return "MMLU, " + std::to_string(shots) + "-shot (the first dev rows; fewer while the prompt exceeds " +
           std::to_string(maxTokens) +
           " tokens, cut from the left with BOS kept when even 0 shots do not fit), prediction = the most likely of the "
           "tokens A-D after \"Answer:\"; categories pooled over their questions, micro = pooled over all questions, "
           "macro = mean over subjects";
}

std::string MmluResult::table() const {
    std::vector<std::vector<std::string>> rows{{"subject", "category", "questions", "correct", "accuracy %", "shots"}};
    for (const auto& s : subjects)
        rows.push_back({s.subject + (s.known ? "" : " *"), s.category, std::to_string(s.questions), std::to_string(s.correct),
                        fixed(100.0 * s.accuracy, 2), shotsText(s)});
    rows.emplace_back();
    for (const auto& c : categories)
        rows.push_back({c.category, std::to_string(c.subjects) + (c.subjects == 1 ? " subject" : " subjects"),
                        std::to_string(c.questions), std::to_string(c.correct), fixed(100.0 * c.accuracy, 2)});
    rows.emplace_back();
    const auto n = std::to_string(subjects.size()) + " subjects";
    rows.push_back({"average (micro)", n, std::to_string(questions), std::to_string(correct), fixed(100.0 * microAccuracy, 2)});
    rows.push_back({"average (macro)", n, std::to_string(questions), std::to_string(correct), fixed(100.0 * macroAccuracy, 2)});
    auto out = alignedTable(rows);
    if (!unknownSubjects().empty())
        out += "* not one of the 57 MMLU subjects: counted under \"other (business, health, misc.)\"\n";
    if (const auto cut = truncated(); cut > 0)
        out += std::to_string(cut) + " prompt(s) longer than " + std::to_string(maxTokens) +
               " tokens even without shots were cut from the left (BOS kept)\n";
    return out;
}

std::string MmluResult::csv() const {
    std::string out = "subject,category,questions,correct,accuracy\n";
    const auto row = [&](const std::string& subject, const std::string& category, std::int64_t n, std::int64_t ok,
                         double accuracy) {
        out += csvField(subject) + "," + csvField(category) + "," + std::to_string(n) + "," + std::to_string(ok) + "," +
               fixed(accuracy, 6) + "\n";
    };
    for (const auto& s : subjects) row(s.subject, s.category, s.questions, s.correct, s.accuracy);
    for (const auto& c : categories) row("", c.category, c.questions, c.correct, c.accuracy);
    row("all", "micro", questions, correct, microAccuracy);
    row("all", "macro", questions, correct, macroAccuracy);
    return out;
}

nlohmann::json mmluJson(const MmluResult& r) {
    nlohmann::json j = {{"micro_accuracy", r.microAccuracy},
                        {"macro_accuracy", r.macroAccuracy},
                        {"questions", r.questions},
                        {"correct", r.correct},
                        {"shots", r.shots},
                        {"seconds", r.seconds},
                        {"protocol", r.protocol()}};
    for (const auto& c : r.categories) j["categories"][c.category] = {{"accuracy", c.accuracy}, {"questions", c.questions}};
    for (const auto& s : r.subjects)
        j["subjects"][s.subject] = {{"accuracy", s.accuracy}, {"questions", s.questions}, {"category", s.category}};
    return j;
}

std::string mmluComparisonCsv(const MmluResult& fp, const MmluResult& q) {
    std::string out = "subject,category,questions,fp_accuracy,quantized_accuracy\n";
    char line[512];
    auto quoted = [](const std::string& s) { return s.find(',') == std::string::npos ? s : "\"" + s + "\""; };
    for (std::size_t i = 0; i < q.subjects.size() && i < fp.subjects.size(); ++i) {
        std::snprintf(line, sizeof line, "%s,%s,%lld,%.6f,%.6f\n", q.subjects[i].subject.c_str(),
                      quoted(q.subjects[i].category).c_str(), static_cast<long long>(q.subjects[i].questions),
                      fp.subjects[i].accuracy, q.subjects[i].accuracy);
        out += line;
    }
    for (std::size_t i = 0; i < q.categories.size() && i < fp.categories.size(); ++i) {
        std::snprintf(line, sizeof line, ",%s,%lld,%.6f,%.6f\n", quoted(q.categories[i].category).c_str(),
                      static_cast<long long>(q.categories[i].questions), fp.categories[i].accuracy, q.categories[i].accuracy);
        out += line;
    }
    std::snprintf(line, sizeof line, "all,micro,%lld,%.6f,%.6f\nall,macro,%lld,%.6f,%.6f\n", static_cast<long long>(q.questions),
                  fp.microAccuracy, q.microAccuracy, static_cast<long long>(q.questions), fp.macroAccuracy, q.macroAccuracy);
    return out + line;
}

} // namespace ol
