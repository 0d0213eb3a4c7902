#include "views/layers/layerpanel.h"

#include "views/layers/layertreemodel.h"

#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTreeView>
#include <QVBoxLayout>

namespace olv {

LayerPanel::LayerPanel(QWidget* parent)
    : QWidget(parent), m_model(new LayerTreeModel(this)), m_proxy(new QSortFilterProxyModel(this)), m_view(new QTreeView(this)),
      m_filter(new QLineEdit(this)), m_heading(new QLabel(this)) {
    m_proxy->setSourceModel(m_model);
    m_proxy->setRecursiveFilteringEnabled(true);
    m_proxy->setAutoAcceptChildRows(true);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(LayerTreeModel::Name);
    m_filter->setPlaceholderText(tr("Filter by name (e.g. down_proj)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    m_view->setModel(m_proxy);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->header()->setSectionResizeMode(LayerTreeModel::Name, QHeaderView::Stretch);
    m_view->header()->setMinimumSectionSize(36);
    for (int c = 1; c < LayerTreeModel::ColumnCount; ++c)
        m_view->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_view->header()->setStretchLastSection(false);
    m_heading->setWordWrap(true);
    m_heading->setText(tr("No model open."));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_heading);
    layout->addWidget(m_filter);
    layout->addWidget(m_view);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { onCurrentChanged(current); });
    connect(m_model, &QAbstractItemModel::modelReset, m_view, &QTreeView::expandAll);
}

void LayerPanel::setHeading(const QString& text) { m_heading->setText(text); }

bool LayerPanel::selectSite(int layer, ol::Site site) {
    const auto source = m_model->indexOf(layer, site);
    if (!source.isValid()) return false;
    const auto proxy = m_proxy->mapFromSource(source);
    if (!proxy.isValid()) return false;
    m_view->setCurrentIndex(proxy);
    m_view->scrollTo(proxy);
    return true;
}

void LayerPanel::onCurrentChanged(const QModelIndex& current) {
    const auto source = m_proxy->mapToSource(current.siblingAtColumn(0));
    if (!source.isValid() || !source.data(LayerTreeModel::IsSiteRole).toBool()) return;
    Q_EMIT siteSelected(source.data(LayerTreeModel::LayerRole).toInt(),
                        static_cast<ol::Site>(source.data(LayerTreeModel::SiteRole).toInt()));
}

} // namespace olv
