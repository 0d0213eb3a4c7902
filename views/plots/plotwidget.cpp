#include "views/plots/plotwidget.h"

#include <QFile>
#include <QFileDialog>
#include <QMenu>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QToolTip>
#include <cmath>

namespace olv {

PlotWidget::PlotWidget(QWidget* parent) : QCustomPlot(parent) {
    // Tall enough for tick labels, the axis title and a title row: below this the axis title is cut off by the
    // plot beneath (the docks scroll instead).
    setMinimumSize(220, 190);
    setMouseTracking(true);
    setNoAntialiasingOnDrag(true);
    applyPalette();
}

QColor PlotWidget::seriesColor(int index) {
    static const QColor colors[] = {QColor(38, 139, 210), QColor(133, 153, 0), QColor(211, 54, 130), QColor(42, 161, 152),
                                    QColor(108, 113, 196)};
    return colors[index % 5];
}

void PlotWidget::styleAxisRect(QCPAxisRect* rect) {
    const auto pal = palette();
    const QColor text = pal.color(QPalette::WindowText);
    QColor grid = text;
    grid.setAlpha(40);
    for (auto* axis : rect->axes()) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
        axis->grid()->setSubGridVisible(false);
    }
    rect->setBackground(pal.brush(QPalette::Base));
}

void PlotWidget::applyPalette() {
    setBackground(palette().brush(QPalette::Window));
    for (auto* rect : axisRects()) styleAxisRect(rect);
    if (legend) {
        legend->setBrush(palette().brush(QPalette::Base));
        legend->setTextColor(palette().color(QPalette::WindowText));
        legend->setBorderPen(QPen(palette().color(QPalette::Mid)));
    }
    for (int i = 0; i < plotLayout()->elementCount(); ++i)
        if (auto* title = qobject_cast<QCPTextElement*>(plotLayout()->elementAt(i)))
            title->setTextColor(palette().color(QPalette::WindowText));
    replot(QCustomPlot::rpQueuedReplot);
}

bool PlotWidget::hasData() const {
    for (int i = 0; i < plottableCount(); ++i) {
        auto* p = const_cast<PlotWidget*>(this)->plottable(i); // QCustomPlot has no const accessor
        if (auto* data = p->interface1D(); data && data->dataCount() > 0) return true;
        if (auto* map = qobject_cast<QCPColorMap*>(p); map && !map->data()->isEmpty() && map->data()->keySize() > 0) return true;
    }
    return false;
}

void PlotWidget::paintEvent(QPaintEvent* event) {
    QCustomPlot::paintEvent(event);
    if (hasData()) return;
    // Before data: a short line on the plain background instead of axes 0–5 and an empty legend.
    QPainter painter(this);
    painter.fillRect(rect(), palette().brush(QPalette::Window));
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, m_emptyText);
}

void PlotWidget::placeLegendAbove(int columns) {
    auto* row = new QCPLayoutGrid;
    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, row);
    axisRect()->insetLayout()->take(legend);
    row->addElement(0, 0, legend);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(columns);
    legend->setMargins(QMargins(4, 1, 4, 1));
    legend->setIconSize(16, 10);
    row->setMargins(QMargins(8, 4, 8, 0));
    plotLayout()->setRowStretchFactor(0, 0.001);
}

void PlotWidget::setDecadeRange(QCPAxis* axis, double lo, double hi) {
    if (!(lo > 0) || !(hi > lo)) return;
    axis->setRange(std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi))));
}

void PlotWidget::changeEvent(QEvent* event) {
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) applyPalette();
}

void PlotWidget::mouseMoveEvent(QMouseEvent* event) {
    QCustomPlot::mouseMoveEvent(event);
    const auto text = hoverText(event->pos());
    if (text != m_lastHover) {
        m_lastHover = text;
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, this);
    }
}

bool PlotWidget::saveImage(const QString& path, QString* error) {
    const auto lower = path.toLower();
    bool ok = false;
    // QCustomPlot writes in place; write next to the target and rename so a failure leaves nothing behind.
    const QString tmp = path + QStringLiteral(".part");
    if (lower.endsWith(QLatin1String(".png"))) {
        ok = savePng(tmp, width(), height(), 2.0);
        // savePng picks the format from the suffix: write through QImage instead.
        if (!ok) ok = toPixmap(width(), height(), 2.0).save(tmp, "PNG");
    } else if (lower.endsWith(QLatin1String(".pdf"))) {
        ok = savePdf(tmp, width(), height());
    } else if (lower.endsWith(QLatin1String(".svg"))) {
        QSvgGenerator svg;
        svg.setFileName(tmp);
        svg.setSize(size());
        svg.setViewBox(rect());
        svg.setTitle(QStringLiteral("OutlierLab plot"));
        QCPPainter painter;
        ok = painter.begin(&svg);
        if (ok) {
            toPainter(&painter, width(), height());
            painter.end();
        }
    } else {
        if (error) *error = tr("unknown image type for %1 (use .png, .svg or .pdf)").arg(path);
        return false;
    }
    QFile::remove(path);
    ok = ok && QFile::exists(tmp) && QFile::rename(tmp, path);
    if (!ok) {
        QFile::remove(tmp);
        if (error) *error = tr("could not write %1").arg(path);
    }
    return ok;
}

bool PlotWidget::saveCsv(const QString& path, QString* error) const {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text) || f.write(csv().toUtf8()) < 0 || !f.commit()) {
        if (error) *error = tr("could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

void PlotWidget::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    menu.addAction(tr("Save image (PNG, SVG, PDF)…"), this, [this] {
        const auto path = QFileDialog::getSaveFileName(this, tr("Save plot"), QStringLiteral("plot.png"),
                                                       tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
        QString error;
        if (!path.isEmpty() && !saveImage(path, &error)) QMessageBox::warning(this, tr("Save plot"), error);
    });
    menu.addAction(tr("Export data as CSV…"), this, [this] {
        const auto path = QFileDialog::getSaveFileName(this, tr("Export data"), QStringLiteral("plot.csv"), tr("CSV (*.csv)"));
        QString error;
        if (!path.isEmpty() && !saveCsv(path, &error)) QMessageBox::warning(this, tr("Export data"), error);
    });
    menu.addAction(tr("Reset zoom"), this, [this] {
        rescaleAxes();
        replot();
    });
    menu.exec(event->globalPos());
}

} // namespace olv
