#include "views/layers/layertreemodel.h"

#include "core/calib/outliers.h"
#include "views/plots/plotdata.h"
#include "views/plots/plotwidget.h"

#include <algorithm>
#include <map>

namespace olv {

// Internal ids: 0 for layer rows; 1 + layer row for site rows (their parent's row).
namespace {
constexpr quintptr kLayerId = 0;
}

SiteSummary summarize(const ol::SiteStatistics& s, const ol::OutlierReport& r) {
    SiteSummary out;
    out.layer = s.layer;
    out.site = s.site;
    out.massive = static_cast<int>(r.massive.size());
    out.normal = static_cast<int>(r.normalChannels.size());
    out.absmax = r.absmax;
    out.ratio = r.ratio;
    out.kurtosis = s.tensorKurtosis;
    out.channels = s.channels;
    return out;
}

QString siteTitle(ol::Site site) {
    switch (site) {
    case ol::Site::AttnInput: return QObject::tr("q/k/v_proj input");
    case ol::Site::AttnOutput: return QObject::tr("o_proj input");
    case ol::Site::MlpInput: return QObject::tr("gate/up_proj input");
    case ol::Site::DownInput: return QObject::tr("down_proj input");
    case ol::Site::Query: return QObject::tr("Q (after rotary)");
    case ol::Site::Key: return QObject::tr("K (after rotary)");
    case ol::Site::Value: return QObject::tr("V");
    }
    return {};
}

LayerTreeModel::LayerTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

void LayerTreeModel::setSites(const std::vector<SiteSummary>& sites) {
    beginResetModel();
    std::map<int, LayerNode> byLayer;
    for (auto& s : sites) {
        auto& node = byLayer[s.layer];
        node.layer = s.layer;
        node.massive += s.massive;
        node.normal += s.normal;
        node.ratio = std::max(node.ratio, s.ratio);
        node.absmax = std::max(node.absmax, s.absmax);
        node.sites.push_back(s);
    }
    m_layers.clear();
    for (auto& [l, node] : byLayer) {
        std::sort(node.sites.begin(), node.sites.end(), [](const auto& a, const auto& b) { return a.site < b.site; });
        m_layers.push_back(std::move(node));
    }
    endResetModel();
}

QModelIndex LayerTreeModel::indexOf(int layer, ol::Site site) const {
    for (std::size_t l = 0; l < m_layers.size(); ++l) {
        if (m_layers[l].layer != layer) continue;
        for (std::size_t i = 0; i < m_layers[l].sites.size(); ++i)
            if (m_layers[l].sites[i].site == site) return createIndex(static_cast<int>(i), 0, quintptr(l + 1));
    }
    return {};
}

const SiteSummary* LayerTreeModel::summary(const QModelIndex& index) const {
    if (!index.isValid() || index.internalId() == kLayerId) return nullptr;
    return &m_layers[index.internalId() - 1].sites[static_cast<std::size_t>(index.row())];
}

QModelIndex LayerTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount) return {};
    if (!parent.isValid()) return row < static_cast<int>(m_layers.size()) ? createIndex(row, column, kLayerId) : QModelIndex();
    if (parent.internalId() != kLayerId || parent.row() >= static_cast<int>(m_layers.size())) return {};
    const auto& node = m_layers[static_cast<std::size_t>(parent.row())];
    if (row >= static_cast<int>(node.sites.size())) return {};
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex LayerTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == kLayerId) return {};
    return createIndex(static_cast<int>(child.internalId() - 1), 0, kLayerId);
}

int LayerTreeModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return static_cast<int>(m_layers.size());
    if (parent.column() != 0 || parent.internalId() != kLayerId) return 0;
    return static_cast<int>(m_layers[static_cast<std::size_t>(parent.row())].sites.size());
}

int LayerTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant LayerTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const bool isSite = index.internalId() != kLayerId;
    const auto& node = m_layers[isSite ? index.internalId() - 1 : static_cast<std::size_t>(index.row())];
    const SiteSummary* site = isSite ? &node.sites[static_cast<std::size_t>(index.row())] : nullptr;
    const int massive = site ? site->massive : node.massive;
    const int normal = site ? site->normal : node.normal;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Name: return site ? siteTitle(site->site) : tr("layer %1").arg(node.layer);
        case Massive: return massive;
        case Normal: return normal;
        case Ratio: return formatValue(site ? site->ratio : node.ratio);
        case Absmax: return formatValue(site ? site->absmax : node.absmax);
        }
        break;
    case Qt::ToolTipRole:
        if (site)
            return tr("layer %1, %2 (%3): %4 channels, %5 massive outlier values, %6 normal outlier channels, absmax %7 = %8× "
                      "the "
                      "median channel absmax, kurtosis %9")
                .arg(node.layer)
                .arg(siteTitle(site->site), QString::fromLatin1(ol::siteKey(site->site)))
                .arg(site->channels)
                .arg(massive)
                .arg(normal)
                .arg(formatValue(site->absmax), formatValue(site->ratio), formatValue(site->kurtosis));
        return tr("layer %1: %2 massive outlier values and %3 normal outlier channels over its sites")
            .arg(node.layer)
            .arg(massive)
            .arg(normal);
    case Qt::BackgroundRole:
        if (index.column() == Massive && massive > 0) return QColor(PlotWidget::massiveColor().lighter(160));
        if (index.column() == Normal && normal > 0) return QColor(PlotWidget::normalColor().lighter(160));
        break;
    case Qt::ForegroundRole:
        if ((index.column() == Massive && massive > 0) || (index.column() == Normal && normal > 0)) return QColor(Qt::black);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() != Name) return int(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case LayerRole: return node.layer;
    case SiteRole: return site ? static_cast<int>(site->site) : -1;
    case IsSiteRole: return isSite;
    }
    return {};
}

QVariant LayerTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Name: return tr("Layer / site");
        case Massive: return tr("Massive");
        case Normal: return tr("Normal");
        case Ratio: return tr("Ratio");
        case Absmax: return tr("Absmax");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Massive: return tr("values far above everything else (|x| > 100 and > 1000× the median |x|)");
        case Normal: return tr("channels large in nearly every token (absmax and mean |x| > 10× the median channel)");
        case Ratio: return tr("absmax / median channel absmax");
        }
    }
    return {};
}

} // namespace olv
