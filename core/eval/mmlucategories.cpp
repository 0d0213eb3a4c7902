#include "core/eval/mmlucategories.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace ol {

namespace {

constexpr std::string_view kStem = "STEM", kHumanities = "humanities", kSocial = "social sciences",
                           kOther = "other (business, health, misc.)";

// Subcategory -> category, as the paper groups them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kSubcategories{{
    {"physics", kStem},
    {"chemistry", kStem},
    {"biology", kStem},
    {"computer science", kStem},
    {"math", kStem},
    {"engineering", kStem},
    {"history", kHumanities},
    {"philosophy", kHumanities},
    {"law", kHumanities},
    {"politics", kSocial},
    {"culture", kSocial},
    {"economics", kSocial},
    {"geography", kSocial},
    {"psychology", kSocial},
    {"other", kOther},
    {"business", kOther},
    {"health", kOther},
}};

// Subject -> subcategory, sorted by subject (binary search).
constexpr std::array<std::pair<std::string_view, std::string_view>, 57> kSubjects{{
    {"abstract_algebra", "math"},
    {"anatomy", "health"},
    {"astronomy", "physics"},
    {"business_ethics", "business"},
    {"clinical_knowledge", "health"},
    {"college_biology", "biology"},
    {"college_chemistry", "chemistry"},
    {"college_computer_science", "computer science"},
    {"college_mathematics", "math"},
    {"college_medicine", "health"},
    {"college_physics", "physics"},
    {"computer_security", "computer science"},
    {"conceptual_physics", "physics"},
    {"econometrics", "economics"},
    {"electrical_engineering", "engineering"},
    {"elementary_mathematics", "math"},
    {"formal_logic", "philosophy"},
    {"global_facts", "other"},
    {"high_school_biology", "biology"},
    {"high_school_chemistry", "chemistry"},
    {"high_school_computer_science", "computer science"},
    {"high_school_european_history", "history"},
    {"high_school_geography", "geography"},
    {"high_school_government_and_politics", "politics"},
    {"high_school_macroeconomics", "economics"},
    {"high_school_mathematics", "math"},
    {"high_school_microeconomics", "economics"},
    {"high_school_physics", "physics"},
    {"high_school_psychology", "psychology"},
    {"high_school_statistics", "math"},
    {"high_school_us_history", "history"},
    {"high_school_world_history", "history"},
    {"human_aging", "health"},
    {"human_sexuality", "culture"},
    {"international_law", "law"},
    {"jurisprudence", "law"},
    {"logical_fallacies", "philosophy"},
    {"machine_learning", "computer science"},
    {"management", "business"},
    {"marketing", "business"},
    {"medical_genetics", "health"},
    {"miscellaneous", "other"},
    {"moral_disputes", "philosophy"},
    {"moral_scenarios", "philosophy"},
    {"nutrition", "health"},
    {"philosophy", "philosophy"},
    {"prehistory", "history"},
    {"professional_accounting", "other"},
    {"professional_law", "law"},
    {"professional_medicine", "health"},
    {"professional_psychology", "psychology"},
    {"public_relations", "politics"},
    {"security_studies", "politics"},
    {"sociology", "culture"},
    {"us_foreign_policy", "politics"},
    {"virology", "health"},
    {"world_religions", "philosophy"},
}};

std::string_view categoryOf(std::string_view subcategory) {
    for (const auto& [sub, category] : kSubcategories)
        if (sub == subcategory) return category;
    return kOther;
}

} // namespace

const std::vector<std::string>& mmluCategories() {
    static const std::vector<std::string> names{std::string(kStem), std::string(kHumanities), std::string(kSocial),
                                                std::string(kOther)};
    return names;
}

MmluSubjectCategory mmluSubjectCategory(const std::string& subject) {
    const auto it = std::lower_bound(kSubjects.begin(), kSubjects.end(), std::string_view(subject),
                                     [](const auto& entry, std::string_view name) { return entry.first < name; });
    if (it == kSubjects.end() || it->first != subject) return {"other", std::string(kOther), false};
    return {std::string(it->second), std::string(categoryOf(it->second)), true};
}

} // namespace ol
