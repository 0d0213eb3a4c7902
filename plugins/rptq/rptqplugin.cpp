// The RPTQ method as a Qt plugin; the algorithm is in rptqmethod.cpp and
// core/quant (k-means in kmeans, per-cluster quantizers in clusterquant).
#include "core/quant/methodplugin.h"
#include "plugins/rptq/rptqmethod.h"

#include <QObject>

namespace ol {

class RptqPlugin : public QObject, public MethodPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID OutlierLabMethodPlugin_iid FILE "rptq.json")
    Q_INTERFACES(ol::MethodPlugin)
public:
    std::unique_ptr<QuantMethod> create(const nlohmann::json& p) const override { return std::make_unique<RptqMethod>(p); }
};

} // namespace ol

#include "rptqplugin.moc"
