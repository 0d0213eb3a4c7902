#include "core/quant/layerserializer.h"

#include "core/errors.h"
#include "core/model/modelconfig.h"
#include "core/quant/duquanttransform.h"
#include "core/quant/packing.h"

#include <ATen/ATen.h>
#include <functional>

namespace ol {

nlohmann::json specToJson(const QuantSpec& s) {
    return {{"bits", s.bits}, {"symmetric", s.symmetric}, {"clip", s.clip}, {"group_size", s.groupSize}};
}

QuantSpec specFromJson(const nlohmann::json& j) {
    return {j.at("bits").get<int>(), j.at("symmetric").get<bool>(), j.at("clip").get<double>(),
            j.at("group_size").get<std::int64_t>()};
}

namespace {

bool packable(int bits) { return bits == 2 || bits == 3 || bits == 4 || bits == 6 || bits == 8; }

std::pair<std::int64_t, std::int64_t> expectedShape(const ModelConfig& c, const std::string& m) {
    const auto H = c.hiddenSize, A = c.numHeads * c.headDim, KV = c.numKvHeads * c.headDim, I = c.intermediateSize;
    if (m == "self_attn.q_proj") return {A, H};
    if (m == "self_attn.k_proj" || m == "self_attn.v_proj") return {KV, H};
    if (m == "self_attn.o_proj") return {H, A};
    if (m == "mlp.down_proj") return {H, I};
    return {I, H};
}

std::string transformPrefix(Site s) { return std::string("input_transforms.") + siteKey(s); }

using TensorGetter = std::function<at::Tensor(const std::string&)>;

BlockRotation rotationFromMeta(const nlohmann::json& d, const std::string& name, const TensorGetter& get) {
    BlockRotation r;
    r.channels = d.at("channels").get<std::int64_t>();
    r.blockSize = d.at("block_size").get<std::int64_t>();
    r.main = get(name + ".main").to(at::kDouble);
    if (d.at("tail").get<bool>()) r.tail = get(name + ".tail").to(at::kDouble);
    return r;
}

SiteTransform siteTransformFromMeta(const nlohmann::json& meta, const std::string& prefix, const TensorGetter& get) {
    SiteTransform t;
    int k = 0;
    for (const auto& d : meta.at("steps")) {
        const auto name = prefix + ".step." + std::to_string(k++);
        switch (stepKindFromKey(d.at("kind").get<std::string>())) {
        case StepKind::Scale: t.steps.push_back(TransformStep::scale(get(name + ".vector"))); break;
        case StepKind::Permute: t.steps.push_back(TransformStep::permute(get(name + ".vector").to(at::kLong))); break;
        case StepKind::Householder: t.steps.push_back(TransformStep::householder(get(name + ".vector"))); break;
        case StepKind::BlockRotation: t.steps.push_back(TransformStep::blockRotation(rotationFromMeta(d, name, get))); break;
        case StepKind::Hadamard:
            t.steps.push_back(
                TransformStep::hadamard(d.at("channels").get<std::int64_t>(), d.at("block_size").get<std::int64_t>()));
            break;
        }
    }
    if (meta.contains("static_quant")) {
        const auto& q = meta.at("static_quant");
        t.staticActivation.bits = q.at("bits").get<int>();
        if (q.at("params").get<bool>())
            t.staticActivation.scale = get(prefix + ".static_scale").to(at::kFloat),
            t.staticActivation.zero = get(prefix + ".static_zero").to(at::kFloat);
    }
    return t;
}

// Format 1 (before steps): divisor, reorder, R₁ P₁ R₂ …, Householder, in that fixed order.
SiteTransform legacySiteTransform(const nlohmann::json& meta, const std::string& prefix, const TensorGetter& get) {
    SiteTransform t;
    if (meta.at("divisor").get<bool>()) t.steps.push_back(TransformStep::scale(get(prefix + ".divisor")));
    if (meta.value("reorder", false)) t.steps.push_back(TransformStep::permute(get(prefix + ".reorder").to(at::kLong)));
    DuQuantTransform chain;
    int k = 0;
    for (const auto& r : meta.at("rotations")) {
        chain.rotations.push_back(rotationFromMeta(r, prefix + ".rotation." + std::to_string(k), get));
        ++k;
    }
    for (int p = 0; p < meta.at("permutations").get<int>(); ++p)
        chain.permutations.push_back(get(prefix + ".permutation." + std::to_string(p)).to(at::kLong));
    if (chain.rotations.size() != chain.permutations.size() + 1 && !chain.isIdentity())
        throw FormatError(prefix + ": " + std::to_string(chain.rotations.size()) + " rotations do not interleave " +
                          std::to_string(chain.permutations.size()) + " permutations");
    t.append(chain);
    if (meta.value("householder", false)) t.steps.push_back(TransformStep::householder(get(prefix + ".householder")));
    return t;
}

} // namespace

SerializedLayer serializeLayer(const QuantizedLayer& l) {
    SerializedLayer s;
    auto put = [&](const std::string& name, const at::Tensor& t) { s.tensors[name] = t.detach().cpu().contiguous(); };
    put("input_layernorm.weight", l.weights.inputNorm);
    put("post_attention_layernorm.weight", l.weights.postNorm);
    s.meta["layer"] = l.index;
    s.meta["activation"] = specToJson(l.activation);
    s.meta["query_key"] = specToJson(l.queryKey);
    s.meta["value"] = specToJson(l.value);
    s.meta["query_key_hadamard"] = l.queryKeyHadamard;
    for (const auto& m : linearModules()) {
        auto it = l.quantized.find(m);
        if (it == l.quantized.end()) {
            put(m + ".weight", l.weights.linear(m));
            s.meta["weights"][m] = {{"bits", 16}};
            continue;
        }
        const auto& q = it->second;
        auto meta = specToJson(q.spec);
        meta["rows"] = q.codes.size(0);
        meta["cols"] = q.codes.size(1);
        meta["packed"] = packable(q.spec.bits);
        put(m + ".qweight", packable(q.spec.bits) ? packCodes(q.codes.cpu(), q.spec.bits).bytes : q.codes);
        put(m + ".scales", q.params.scale);
        put(m + ".zeros", q.params.zero);
        if (q.lwcUp.defined()) put(m + ".lwc_up", q.lwcUp), put(m + ".lwc_low", q.lwcLow);
        meta["variable_groups"] = q.groupSizes.defined();
        if (q.groupSizes.defined()) put(m + ".group_sizes", q.groupSizes);
        s.meta["weights"][m] = meta;
    }
    s.meta["format_version"] = kLayerFormatVersion;
    for (Site site : kLinearInputs) {
        const auto& t = l.input(site);
        const auto prefix = transformPrefix(site);
        nlohmann::json steps = nlohmann::json::array();
        for (std::size_t k = 0; k < t.steps.size(); ++k) {
            const auto& step = t.steps[k];
            const auto name = prefix + ".step." + std::to_string(k);
            nlohmann::json d = {{"kind", stepKindKey(step.kind)}};
            switch (step.kind) {
            case StepKind::BlockRotation:
                d["channels"] = step.rotation.channels, d["block_size"] = step.rotation.blockSize;
                d["tail"] = step.rotation.tail.defined();
                put(name + ".main", step.rotation.main);
                if (step.rotation.tail.defined()) put(name + ".tail", step.rotation.tail);
                break;
            case StepKind::Hadamard: d["channels"] = step.rotation.channels, d["block_size"] = step.rotation.blockSize; break;
            default: put(name + ".vector", step.vector); break;
            }
            steps.push_back(d);
        }
        nlohmann::json meta = {{"steps", steps}, {"clusters", t.clusterSizes.defined()}};
        if (t.clusterSizes.defined()) put(prefix + ".cluster_sizes", t.clusterSizes);
        if (t.staticActivation.set()) {
            meta["static_quant"] = {{"bits", t.staticActivation.bits}, {"params", t.staticActivation.scale.defined()}};
            if (t.staticActivation.scale.defined())
                put(prefix + ".static_scale", t.staticActivation.scale), put(prefix + ".static_zero", t.staticActivation.zero);
        }
        s.meta["inputs"][siteKey(site)] = meta;
    }
    for (Site site : {Site::Query, Site::Key, Site::Value}) {
        const auto& q = l.staticQuant[static_cast<int>(site)];
        if (!q.set()) continue;
        const std::string key = siteKey(site);
        s.meta["static_quant"][key] = {{"bits", q.bits}, {"params", q.scale.defined()}};
        if (q.scale.defined()) put("static_quant." + key + ".scale", q.scale), put("static_quant." + key + ".zero", q.zero);
    }
    s.meta["query_key_order"] = l.queryKeyOrder.defined();
    if (l.queryKeyOrder.defined()) put("query_key_order", l.queryKeyOrder);
    for (const auto& [pair, scale] : l.smoothing) {
        put("smoothing." + pair, scale);
        s.meta["smoothing"].push_back(pair);
    }
    return s;
}

QuantizedLayer deserializeLayer(const SerializedLayer& s, const ModelConfig& c, c10::Device device, const std::string& origin) {
    auto get = [&](const std::string& name) -> at::Tensor {
        auto it = s.tensors.find(name);
        if (it == s.tensors.end()) throw FormatError(origin + ": missing tensor '" + name + "'");
        return it->second.to(device);
    };
    try {
        QuantizedLayer l;
        l.index = s.meta.at("layer").get<int>();
        l.activation = specFromJson(s.meta.at("activation"));
        l.queryKey = specFromJson(s.meta.at("query_key"));
        l.value = specFromJson(s.meta.at("value"));
        l.queryKeyHadamard = s.meta.at("query_key_hadamard").get<bool>();
        l.weights.inputNorm = get("input_layernorm.weight");
        l.weights.postNorm = get("post_attention_layernorm.weight");
        for (const auto& m : linearModules()) {
            const auto& meta = s.meta.at("weights").at(m);
            const auto shape = expectedShape(c, m);
            auto checkShape = [&](std::int64_t rows, std::int64_t cols) {
                if (rows != shape.first || cols != shape.second)
                    throw FormatError(origin + ": " + m + " is " + std::to_string(rows) + "x" + std::to_string(cols) +
                                      " but the model's config.json needs " + std::to_string(shape.first) + "x" +
                                      std::to_string(shape.second));
            };
            if (meta.at("bits").get<int>() >= 16) {
                l.weights.linear(m) = get(m + ".weight");
                checkShape(l.weights.linear(m).size(0), l.weights.linear(m).size(1));
                continue;
            }
            QuantizedWeight q;
            q.spec = specFromJson(meta);
            const auto rows = meta.at("rows").get<std::int64_t>(), cols = meta.at("cols").get<std::int64_t>();
            checkShape(rows, cols);
            auto stored = get(m + ".qweight").cpu();
            if (meta.at("packed").get<bool>()) {
                if (stored.dim() != 2 || stored.size(0) != rows || stored.size(1) != packedBytesPerRow(cols, q.spec.bits))
                    throw FormatError(origin + ": tensor '" + m + ".qweight' has the wrong shape for " + std::to_string(rows) +
                                      "x" + std::to_string(cols) + " codes of " + std::to_string(q.spec.bits) + " bits");
                q.codes = unpackCodes({stored.to(at::kByte), q.spec.bits, rows, cols});
            } else {
                q.codes = stored.to(at::kByte);
            }
            q.codes = q.codes.to(device);
            q.params = {get(m + ".scales").to(at::kFloat), get(m + ".zeros").to(at::kFloat)};
            if (s.tensors.count(m + ".lwc_up")) q.lwcUp = get(m + ".lwc_up"), q.lwcLow = get(m + ".lwc_low");
            if (meta.value("variable_groups", false)) {
                q.groupSizes = get(m + ".group_sizes").cpu().to(at::kLong);
                if (q.groupSizes.dim() != 1 || q.groupSizes.sum().item<std::int64_t>() != cols ||
                    q.params.scale.size(-1) != q.groupSizes.size(0))
                    throw FormatError(origin + ": tensor '" + m + ".group_sizes' does not match " + std::to_string(cols) +
                                      " input channels and the scales");
            }
            l.weights.linear(m) = q.dequantized();
            l.quantized[m] = std::move(q);
        }
        const int version = s.meta.value("format_version", 1);
        if (version > kLayerFormatVersion)
            throw FormatError(origin + ": layer format version " + std::to_string(version) +
                              " is newer than this OutlierLab reads (" + std::to_string(kLayerFormatVersion) + ")");
        for (Site site : kLinearInputs) {
            const auto& meta = s.meta.at("inputs").at(siteKey(site));
            auto& t = l.input(site);
            t = version == 1 ? legacySiteTransform(meta, transformPrefix(site), get)
                             : siteTransformFromMeta(meta, transformPrefix(site), get);
            if (meta.value("clusters", false)) t.clusterSizes = get(transformPrefix(site) + ".cluster_sizes").cpu().to(at::kLong);
        }
        if (s.meta.contains("static_quant"))
            for (const auto& [key, q] : s.meta.at("static_quant").items()) {
                // Format 1 kept the linear inputs' static quantizers here too.
                const auto site = siteFromKey(key);
                auto& sq = isLinearInput(site) ? l.input(site).staticActivation : l.staticQuant[static_cast<int>(site)];
                sq.bits = q.at("bits").get<int>();
                if (q.at("params").get<bool>())
                    sq.scale = get("static_quant." + key + ".scale").to(at::kFloat),
                    sq.zero = get("static_quant." + key + ".zero").to(at::kFloat);
            }
        if (s.meta.value("query_key_order", false)) l.queryKeyOrder = get("query_key_order").to(at::kLong);
        if (s.meta.contains("smoothing"))
            for (const auto& pair : s.meta.at("smoothing")) l.smoothing[pair] = get("smoothing." + pair.get<std::string>());
        return l;
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(origin + ": malformed quantized layer description: " + e.what());
    }
}

} // namespace ol
