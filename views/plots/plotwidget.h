#pragma once
// Base of every plot: QCustomPlot restyled from the widget palette (light and
// dark, again on palette changes), a context menu to save the picture as
// PNG/SVG/PDF and the data as CSV, and a hover read-out (tool tip) whose text
// each plot computes from the position.
#include "views/plots/customplot.h"

namespace olv {

class PlotWidget : public QCustomPlot {
    Q_OBJECT
public:
    explicit PlotWidget(QWidget* parent = nullptr);

    // The plotted data as CSV (header line first).
    virtual QString csv() const = 0;
    // Saves by extension: .png, .svg or .pdf; false (and `error`) on failure.
    bool saveImage(const QString& path, QString* error = nullptr);
    bool saveCsv(const QString& path, QString* error = nullptr) const;
    // What hovering at a pixel shows ("" for nothing), and the last text shown.
    QString hoverTextAt(const QPoint& pixel) const { return hoverText(pixel); }
    QString lastHoverText() const { return m_lastHover; }
    // Colours for data series that read on both light and dark backgrounds.
    static QColor seriesColor(int index);
    static QColor massiveColor() { return QColor(220, 50, 47); }
    static QColor normalColor() { return QColor(230, 140, 20); }
    // True when some plottable holds data; otherwise the plot shows `emptyText()` instead of bare axes.
    bool hasData() const;
    QString emptyText() const { return m_emptyText; }
    void setEmptyText(const QString& text) { m_emptyText = text; }

protected:
    virtual QString hoverText(const QPoint&) const { return {}; }
    void applyPalette();
    void changeEvent(QEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    void styleAxisRect(QCPAxisRect* rect);
    void paintEvent(QPaintEvent* event) override;
    // The legend in a row above the axis rect, entries side by side: it never covers the data.
    void placeLegendAbove(int columns);
    // A logarithmic axis over whole decades around [lo, hi] (lo > 0), so its ticker labels decades instead of
    // cramming linear-looking ticks (2.5, 5, 7.5, …) into one decade.
    static void setDecadeRange(QCPAxis* axis, double lo, double hi);

private:
    QString m_lastHover;
    QString m_emptyText = tr("no data yet — open a model and select a layer input");
};

} // namespace olv
