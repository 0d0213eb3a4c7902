#include "quant/layerserializer.h"

#include "errors.h"
#include "model/modelconfig.h"
#include "quant/packing.h"

#include <ATen/ATen.h>

namespace ol {

nlohmann::json specToJson(const QuantSpec& s) {
    return {{"bits", s.bits}, {"symmetric", s.symmetric}, {"clip", s.clip}, {"group_size", s.groupSize}};
}

QuantSpec specFromJson(const nlohmann::json& j) {
    return {j.at("bits").get<int>(), j.at("symmetric").get<bool>(), j.at("clip").get<double>(), j.at("group_size").get<std::int64_t>()};
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
    for (Site site : kLinearInputs) {
        const auto& t = l.input(site);
        const auto prefix = transformPrefix(site);
        nlohmann::json meta = {{"divisor", t.divisor.defined()}, {"rotations", nlohmann::json::array()},
                               {"permutations", t.rotation.permutations.size()}};
        if (t.divisor.defined()) put(prefix + ".divisor", t.divisor);
        meta["householder"] = t.householder.defined();
        if (t.householder.defined()) put(prefix + ".householder", t.householder);
        meta["reorder"] = t.reorder.defined();
        if (t.reorder.defined()) put(prefix + ".reorder", t.reorder);
        meta["clusters"] = t.clusterSizes.defined();
        if (t.clusterSizes.defined()) put(prefix + ".cluster_sizes", t.clusterSizes);
        for (std::size_t k = 0; k < t.rotation.rotations.size(); ++k) {
            const auto& r = t.rotation.rotations[k];
            meta["rotations"].push_back({{"channels", r.channels}, {"block_size", r.blockSize}, {"tail", r.tail.defined()}});
            put(prefix + ".rotation." + std::to_string(k) + ".main", r.main);
            if (r.tail.defined()) put(prefix + ".rotation." + std::to_string(k) + ".tail", r.tail);
        }
        for (std::size_t k = 0; k < t.rotation.permutations.size(); ++k)
            put(prefix + ".permutation." + std::to_string(k), t.rotation.permutations[k]);
        s.meta["inputs"][siteKey(site)] = meta;
    }
    for (int k = 0; k < kSiteCount; ++k) {
        const auto& q = l.staticQuant[k];
        if (!q.set()) continue;
        const std::string key = siteKey(static_cast<Site>(k));
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
        for (Site site : kLinearInputs) {
            const auto& meta = s.meta.at("inputs").at(siteKey(site));
            const auto prefix = transformPrefix(site);
            auto& t = l.input(site);
            if (meta.at("divisor").get<bool>()) t.divisor = get(prefix + ".divisor");
            if (meta.value("householder", false)) t.householder = get(prefix + ".householder");
            if (meta.value("reorder", false)) t.reorder = get(prefix + ".reorder").to(at::kLong);
            if (meta.value("clusters", false)) t.clusterSizes = get(prefix + ".cluster_sizes").cpu().to(at::kLong);
            int k = 0;
            for (const auto& r : meta.at("rotations")) {
                BlockRotation br;
                br.channels = r.at("channels").get<std::int64_t>();
                br.blockSize = r.at("block_size").get<std::int64_t>();
                br.main = get(prefix + ".rotation." + std::to_string(k) + ".main").to(at::kDouble);
                if (r.at("tail").get<bool>()) br.tail = get(prefix + ".rotation." + std::to_string(k) + ".tail").to(at::kDouble);
                t.rotation.rotations.push_back(br);
                ++k;
            }
            for (int p = 0; p < meta.at("permutations").get<int>(); ++p)
                t.rotation.permutations.push_back(get(prefix + ".permutation." + std::to_string(p)).to(at::kLong));
        }
        if (s.meta.contains("static_quant"))
            for (const auto& [key, q] : s.meta.at("static_quant").items()) {
                auto& sq = l.staticQuant[static_cast<int>(siteFromKey(key))];
                sq.bits = q.at("bits").get<int>();
                if (q.at("params").get<bool>())
                    sq.scale = get("static_quant." + key + ".scale").to(at::kFloat), sq.zero = get("static_quant." + key + ".zero").to(at::kFloat);
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
