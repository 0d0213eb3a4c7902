// The DuQuant method as a Qt plugin; the algorithm is in duquantmethod.cpp
// and core/quant (greedy rotation, zigzag, smoothing, LWC).
#include "core/quant/methodplugin.h"
#include "plugins/duquant/duquantmethod.h"

#include <QObject>

namespace ol {

class DuQuantPlugin : public QObject, public MethodPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID OutlierLabMethodPlugin_iid FILE "duquant.json")
    Q_INTERFACES(ol::MethodPlugin)
public:
    std::unique_ptr<QuantMethod> create(const nlohmann::json& p) const override { return std::make_unique<DuQuantMethod>(p); }
};

} // namespace ol

#include "duquantplugin.moc"
