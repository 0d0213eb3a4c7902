#pragma once
// The Qt plugin interface of a quantization method. A plugin library holds
// one method; its JSON metadata (Q_PLUGIN_METADATA FILE) describes the
// parameters and is read without loading the library.
#include "core/quant/method.h"

#include <QtPlugin>

namespace ol {

class MethodPlugin {
public:
    virtual ~MethodPlugin() = default;
    // `params` are already resolved against the metadata (defaults filled, ranges checked).
    virtual std::unique_ptr<QuantMethod> create(const nlohmann::json& params) const = 0;
};

} // namespace ol

#define OutlierLabMethodPlugin_iid "org.outlierlab.MethodPlugin/1"
Q_DECLARE_INTERFACE(ol::MethodPlugin, OutlierLabMethodPlugin_iid)
