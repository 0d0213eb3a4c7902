// RTN: quantization with no transform at all; everything it does is the
// shared machinery in core (layer quantizer, quantizers).
#include "core/quant/methodplugin.h"

#include <QObject>

namespace ol {

class RtnMethod : public QuantMethod {
public:
    std::string name() const override { return "rtn"; }
    nlohmann::json parameters() const override { return nlohmann::json::object(); }
    bool transformsWeights() const override { return false; }
};

class RtnPlugin : public QObject, public MethodPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID OutlierLabMethodPlugin_iid FILE "rtn.json")
    Q_INTERFACES(ol::MethodPlugin)
public:
    std::unique_ptr<QuantMethod> create(const nlohmann::json&) const override { return std::make_unique<RtnMethod>(); }
};

} // namespace ol

#include "rtnplugin.moc"
