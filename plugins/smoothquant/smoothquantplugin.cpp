// SmoothQuant: the smoothing fold of core/quant/smoothing, then RTN.
#include "core/quant/methodplugin.h"
#include "core/quant/methodsupport.h"

#include <QObject>

namespace ol {

class SmoothQuantMethod : public QuantMethod {
public:
    explicit SmoothQuantMethod(nlohmann::json p) : m_params(std::move(p)) {}
    std::string name() const override { return "smoothquant"; }
    nlohmann::json parameters() const override { return m_params; }
    void prepare(const LayerContext& ctx, QuantizedLayer& layer) const override {
        foldSmoothing(ctx, layer, m_params.at("alpha").get<double>());
    }

private:
    nlohmann::json m_params;
};

class SmoothQuantPlugin : public QObject, public MethodPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID OutlierLabMethodPlugin_iid FILE "smoothquant.json")
    Q_INTERFACES(ol::MethodPlugin)
public:
    std::unique_ptr<QuantMethod> create(const nlohmann::json& p) const override { return std::make_unique<SmoothQuantMethod>(p); }
};

} // namespace ol

#include "smoothquantplugin.moc"
