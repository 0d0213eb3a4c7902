#include "core/model/activationhook.h"

#include "core/errors.h"

namespace ol {

const char* siteModule(Site site) {
    switch (site) {
    case Site::AttnInput: return "self_attn.q_proj";
    case Site::AttnOutput: return "self_attn.o_proj";
    case Site::MlpInput: return "mlp.gate_proj";
    case Site::DownInput: return "mlp.down_proj";
    case Site::Query: return "self_attn.q";
    case Site::Key: return "self_attn.k";
    case Site::Value: return "self_attn.v";
    }
    return "?";
}

const char* siteKey(Site site) {
    switch (site) {
    case Site::AttnInput: return "attn_in";
    case Site::AttnOutput: return "o_in";
    case Site::MlpInput: return "mlp_in";
    case Site::DownInput: return "down_in";
    case Site::Query: return "q";
    case Site::Key: return "k";
    case Site::Value: return "v";
    }
    return "?";
}

Site siteFromKey(const std::string& key) {
    for (int i = 0; i < kSiteCount; ++i)
        if (key == siteKey(static_cast<Site>(i))) return static_cast<Site>(i);
    throw UsageError("unknown site '" + key + "' (expected attn_in, o_in, mlp_in, down_in, q, k or v)");
}

} // namespace ol
