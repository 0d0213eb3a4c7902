// The RUQuant method as a Qt plugin; the algorithm is in ruquantmethod.cpp
// and core/quant (get_R and the global Householder in ruquantrotation, --lh in lhtrainer).
#include "core/quant/methodplugin.h"
#include "plugins/ruquant/ruquantmethod.h"

#include <QObject>

namespace ol {

class RuQuantPlugin : public QObject, public MethodPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID OutlierLabMethodPlugin_iid FILE "ruquant.json")
    Q_INTERFACES(ol::MethodPlugin)
public:
    std::unique_ptr<QuantMethod> create(const nlohmann::json& p) const override { return std::make_unique<RuQuantMethod>(p); }
};

} // namespace ol

#include "ruquantplugin.moc"
