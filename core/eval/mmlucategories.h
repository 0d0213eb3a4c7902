#pragma once
// The subject -> subcategory -> category grouping of the MMLU paper's evaluation (hendrycks/test,
// categories.py): 57 subjects, 17 subcategories, four categories reported in this order.
#include <string>
#include <vector>

namespace ol {

struct MmluSubjectCategory {
    std::string subcategory; // "math", "law", ...; "other" for an unknown subject
    std::string category;    // one of mmluCategories()
    bool known = false;      // among the 57 subjects of MMLU
};

// "STEM", "humanities", "social sciences", "other (business, health, misc.)".
const std::vector<std::string>& mmluCategories();
// The category of a subject given as its file stem ("abstract_algebra"). A subject not among the 57 is reported
// under "other (business, health, misc.)" with known = false, so that an extra subject is counted, not dropped.
MmluSubjectCategory mmluSubjectCategory(const std::string& subject);

} // namespace ol
