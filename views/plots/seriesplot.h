#pragma once
// A plot of named (x, y) series on shared axes, with a legend; used where
// "before" and "after" are drawn side by side on the same axes.
#include "views/plots/plotwidget.h"

namespace olv {

class SeriesPlot : public PlotWidget {
    Q_OBJECT
public:
    explicit SeriesPlot(QWidget* parent = nullptr);
    void setAxes(const QString& xLabel, const QString& yLabel, bool logY);
    void clearSeries();
    // style: a line, a step line (histograms) or impulses
    enum class Style { Line, Step, Impulse };
    void addSeries(const QString& name, const QVector<double>& x, const QVector<double>& y, const QColor& color,
                   Style style = Style::Line, Qt::PenStyle pen = Qt::SolidLine);
    void finish(); // rescale and replot
    int seriesCount() const { return static_cast<int>(m_series.size()); }
    QString csv() const override;

protected:
    QString hoverText(const QPoint& pixel) const override;

private:
    struct Series {
        QString name;
        QVector<double> x, y;
    };
    std::vector<Series> m_series;
    bool m_logY = false;
    QString m_xLabel;
};

} // namespace olv
