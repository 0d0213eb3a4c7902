#include "views/surface/surfacegraph.h"

#include <QLinearGradient>
#include <QtDataVisualization/Q3DCamera>
#include <QtDataVisualization/Q3DScene>
#include <QtDataVisualization/Q3DSurface>
#include <QtDataVisualization/Q3DTheme>
#include <QtDataVisualization/QSurface3DSeries>
#include <QtDataVisualization/QSurfaceDataProxy>
#include <QtDataVisualization/QValue3DAxis>
#include <algorithm>

namespace olv {

struct SurfaceGraph::Impl {
    Q3DSurface* graph = new Q3DSurface; // owned by the container below, which its parent widget owns
    QSurface3DSeries* series = new QSurface3DSeries;
    QWidget* container = nullptr;
};

SurfaceGraph::SurfaceGraph() : d(std::make_unique<Impl>()) {
    auto& g = *d->graph;
    g.activeTheme()->setType(Q3DTheme::ThemeQt);
    g.activeTheme()->setFont(QFont(QStringLiteral("DejaVu Sans"), 28));
    g.axisX()->setTitle(QObject::tr("input channel"));
    g.axisZ()->setTitle(QObject::tr("token"));
    g.axisY()->setTitle(QObject::tr("|x|"));
    for (auto* axis : {g.axisX(), g.axisY(), g.axisZ()}) {
        axis->setTitleVisible(true);
        axis->setLabelFormat(QStringLiteral("%.0f"));
    }
    g.axisY()->setLabelFormat(QStringLiteral("%.3g"));
    d->series->setDrawMode(QSurface3DSeries::DrawSurface);
    d->series->setFlatShadingEnabled(false);
    QLinearGradient heat;
    heat.setColorAt(0.0, QColor(40, 40, 120));
    heat.setColorAt(0.25, QColor(38, 139, 210));
    heat.setColorAt(0.6, QColor(240, 200, 40));
    heat.setColorAt(1.0, QColor(200, 30, 30));
    d->series->setBaseGradient(heat);
    d->series->setColorStyle(Q3DTheme::ColorStyleRangeGradient);
    g.addSeries(d->series);
    g.scene()->activeCamera()->setCameraPreset(Q3DCamera::CameraPresetIsometricRightHigh);
    // The preset frames the whole box with margin to spare: closer, so the surface fills a short dock.
    g.scene()->activeCamera()->setZoomLevel(125.0F);
    d->container = QWidget::createWindowContainer(d->graph);
    d->container->setMinimumSize(320, 240);
    d->container->setFocusPolicy(Qt::StrongFocus);
}

SurfaceGraph::~SurfaceGraph() = default;

QWidget* SurfaceGraph::widget() const { return d->container; }

void SurfaceGraph::show(const SurfaceGrid& grid, const QString& title) {
    auto* rows = new QSurfaceDataArray;
    rows->reserve(static_cast<int>(grid.rows));
    const double tokenStep = static_cast<double>(grid.tokens) / static_cast<double>(std::max<std::int64_t>(grid.rows, 1));
    const double channelStep = static_cast<double>(grid.channels) / static_cast<double>(std::max<std::int64_t>(grid.columns, 1));
    for (std::int64_t r = 0; r < grid.rows; ++r) {
        auto* row = new QSurfaceDataRow(static_cast<int>(grid.columns));
        for (std::int64_t c = 0; c < grid.columns; ++c)
            (*row)[static_cast<int>(c)].setPosition(QVector3D(static_cast<float>(c * channelStep),
                                                              grid.values[static_cast<std::size_t>(r * grid.columns + c)],
                                                              static_cast<float>(r * tokenStep)));
        *rows << row;
    }
    d->series->dataProxy()->resetArray(rows);
    d->series->setName(title);
    d->graph->setTitle(title);
    d->graph->axisX()->setRange(0, static_cast<float>(std::max<std::int64_t>(grid.channels - 1, 1)));
    d->graph->axisZ()->setRange(0, static_cast<float>(std::max<std::int64_t>(grid.tokens - 1, 1)));
    d->graph->axisY()->setRange(0, std::max(grid.zMax, 1e-6f));
}

void SurfaceGraph::clear() { d->series->dataProxy()->resetArray(new QSurfaceDataArray); }

QImage SurfaceGraph::render(const QSize& size) { return d->graph->renderToImage(4, size); }

} // namespace olv
