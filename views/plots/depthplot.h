#pragma once
// One value per decoder layer for the selected site (absmax, absmax ratio or
// kurtosis): how outliers grow or move through depth. Clicking a layer
// selects it.
#include "views/plots/plotwidget.h"

namespace olv {

class DepthPlot : public PlotWidget {
    Q_OBJECT
public:
    enum class Metric { Absmax, Ratio, Kurtosis };
    explicit DepthPlot(QWidget* parent = nullptr);
    // values per layer for the three metrics
    void setData(const QString& siteName, const QVector<double>& absmax, const QVector<double>& ratio,
                 const QVector<double>& kurtosis, int selectedLayer);
    void setMetric(Metric m);
    Metric metric() const { return m_metric; }
    void setSelectedLayer(int layer);
    QString csv() const override;
    // The layer at a pixel (-1 when none): what a click there selects.
    int layerAt(const QPoint& pixel) const;

Q_SIGNALS:
    void layerClicked(int layer);

protected:
    QString hoverText(const QPoint& pixel) const override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    void rebuild();
    const QVector<double>& values() const;
    QString m_site;
    QVector<double> m_absmax, m_ratio, m_kurtosis;
    Metric m_metric = Metric::Absmax;
    int m_selected = -1;
};

} // namespace olv
