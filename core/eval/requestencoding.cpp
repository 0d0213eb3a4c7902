#include "core/eval/requestencoding.h"

#include "core/errors.h"
#include "core/eval/pythonstrings.h"
#include "core/model/tokenizer.h"

namespace ol {

HarnessCompat harnessCompatFromName(const std::string& name) {
    if (name == "none" || name.empty()) return HarnessCompat::None;
    if (name == "duquant") return HarnessCompat::DuQuant;
    throw UsageError("`harness_compat`: '" + name + "' is not one of none, duquant");
}

const char* harnessCompatName(HarnessCompat compat) { return compat == HarnessCompat::DuQuant ? "duquant" : "none"; }

EncodedRequest encodeRequest(const Tokenizer& tok, const std::string& context, const std::string& continuation,
                             HarnessCompat compat) {
    EncodedRequest r;
    if (compat == HarnessCompat::DuQuant) {
        const auto eot = tok.eosId() >= 0 ? tok.eosId() : tok.bosId();
        r.context = context.empty() ? std::vector<std::int32_t>{eot} : tok.encode(context, false);
        r.continuation = tok.encode(continuation, false);
        return r;
    }
    if (context.empty()) {
        const auto prefix = tok.bosId() >= 0 ? tok.bosId() : tok.eosId();
        return {{prefix}, tok.encode(continuation, false)};
    }
    const auto ctx = py::rstrip(context);
    const auto cont = context.substr(ctx.size()) + continuation;
    const auto whole = tok.encode(ctx + cont, true);
    r.context = tok.encode(ctx, true);
    const auto split = std::min(r.context.size(), whole.size());
    r.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(split), whole.end());
    return r;
}

} // namespace ol
