#pragma once
// The Model & layers tree: decoder layers, and under each its activation
// sites (the inputs of q/k/v, o, gate/up and down_proj, and Q/K/V), with the
// count of massive and normal outliers and the absmax ratio of each. A layer
// row sums its sites' counts and shows their largest ratio.
#include "core/model/activationhook.h"

#include <QAbstractItemModel>
#include <vector>

namespace ol {
struct SiteStatistics;
struct OutlierReport;
} // namespace ol

namespace olv {

struct SiteSummary {
    int layer = 0;
    ol::Site site = ol::Site::AttnInput;
    int massive = 0, normal = 0;
    double absmax = 0, ratio = 0, kurtosis = 0;
    std::int64_t channels = 0;
};
SiteSummary summarize(const ol::SiteStatistics& stats, const ol::OutlierReport& report);
// "down_proj input", "Q (after rotary)", ...
QString siteTitle(ol::Site site);

class LayerTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { Name, Massive, Normal, Ratio, Absmax, ColumnCount };
    enum Role { LayerRole = Qt::UserRole + 1, SiteRole, IsSiteRole };

    explicit LayerTreeModel(QObject* parent = nullptr);
    // Sites in any order; grouped by layer.
    void setSites(const std::vector<SiteSummary>& sites);
    void clear() { setSites({}); }
    // Index of a site row (column 0), invalid when absent.
    QModelIndex indexOf(int layer, ol::Site site) const;
    const SiteSummary* summary(const QModelIndex& index) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct LayerNode {
        int layer = 0;
        std::vector<SiteSummary> sites;
        int massive = 0, normal = 0;
        double ratio = 0, absmax = 0;
    };
    std::vector<LayerNode> m_layers;
};

} // namespace olv
