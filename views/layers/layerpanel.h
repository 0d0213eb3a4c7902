#pragma once
// The Model & layers dock: a name filter over the layer tree; selecting a
// site emits siteSelected, which drives the other views.
#include "core/model/activationhook.h"

#include <QWidget>

class QLineEdit;
class QTreeView;
class QSortFilterProxyModel;
class QLabel;

namespace olv {

class LayerTreeModel;

class LayerPanel : public QWidget {
    Q_OBJECT
public:
    explicit LayerPanel(QWidget* parent = nullptr);
    LayerTreeModel* model() const { return m_model; }
    QTreeView* view() const { return m_view; }
    QLineEdit* filterEdit() const { return m_filter; }
    void setHeading(const QString& text);
    // Selects (and scrolls to) a site; false when absent.
    bool selectSite(int layer, ol::Site site);

Q_SIGNALS:
    void siteSelected(int layer, ol::Site site);

private:
    void onCurrentChanged(const QModelIndex& current);
    LayerTreeModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QTreeView* m_view;
    QLineEdit* m_filter;
    QLabel* m_heading;
};

} // namespace olv
