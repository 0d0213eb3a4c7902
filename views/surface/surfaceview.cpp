#include "views/surface/surfaceview.h"

#include "views/surface/surfacegraph.h"

#include <QButtonGroup>
#include <QFileDialog>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QPushButton>
#include <QStackedLayout>
#include <QVBoxLayout>
#include <algorithm>

namespace olv {

SurfaceView::SurfaceView(QWidget* parent)
    : QWidget(parent), m_caption(new QLabel(this)), m_placeholder(new QLabel(this)),
      m_before(new QPushButton(tr("Before"), this)), m_after(new QPushButton(tr("After transform"), this)),
      m_save(new QPushButton(tr("Save PNG…"), this)), m_stack(new QStackedLayout) {
    m_before->setCheckable(true);
    m_after->setCheckable(true);
    m_before->setChecked(true);
    auto* sides = new QButtonGroup(this);
    sides->addButton(m_before);
    sides->addButton(m_after);
    connect(m_before, &QPushButton::clicked, this, [this] { setSide(Side::Before); });
    connect(m_after, &QPushButton::clicked, this, [this] { setSide(Side::After); });
    connect(m_save, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getSaveFileName(this, tr("Save the 3D view"), QStringLiteral("surface.png"), tr("PNG images (*.png)"));
        if (path.isEmpty()) return;
        QString error;
        if (!savePng(path, QSize(1600, 1200), &error)) QMessageBox::warning(this, tr("Save the 3D view"), error);
    });
    m_before->setToolTip(tr("|x| of the FP sample: token × channel"));
    m_after->setToolTip(tr("|x| after the method's transform (smoothing, rotations, permutation), same cells"));
    m_save->setToolTip(tr("Render the graph as it is turned now into a PNG file (1600 × 1200)"));
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_stack->addWidget(m_placeholder);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_before);
    buttons->addWidget(m_after);
    buttons->addStretch(1);
    buttons->addWidget(m_save);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addLayout(m_stack, 1);
    layout->addWidget(m_caption);
    clear();
}

SurfaceView::~SurfaceView() = default;

bool SurfaceView::openGlAvailable() {
    static const bool available = [] {
        QOpenGLContext context;
        if (!context.create()) return false;
        QOffscreenSurface surface;
        surface.create();
        return context.makeCurrent(&surface);
    }();
    return available;
}

void SurfaceView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    ensureGraph(); // created when first seen: a closed 3D tab costs nothing
    refresh();
}

void SurfaceView::ensureGraph() {
    if (m_graph || !openGlAvailable()) return;
    m_graph = new SurfaceGraph;
    m_stack->addWidget(m_graph->widget());
}

void SurfaceView::clear() {
    m_has = false;
    m_preview = {};
    refresh();
}

void SurfaceView::setPreview(const ol::LayerPreview& preview) {
    m_preview = preview;
    m_has = !preview.before.surface.empty();
    refresh();
}

void SurfaceView::setSide(Side side) {
    m_side = side;
    (side == Side::Before ? m_before : m_after)->setChecked(true);
    refresh();
}

QString SurfaceView::caption() const {
    if (!m_has) return {};
    const auto& s = m_side == Side::Before ? m_preview.before : m_preview.after;
    const auto cellsText = [](std::int64_t all, std::int64_t cells) {
        return all == cells ? QObject::tr("each")
                            : QObject::tr("max of %1 per cell").arg(static_cast<double>(all) / cells, 0, 'g', 3);
    };
    return tr("Layer %1 %2, %3 — %4: absmax %5, absmax / median channel %6. %7 tokens (%8), %9 channels (%10). "
              "Drag to turn, wheel to zoom.")
        .arg(m_preview.layer)
        .arg(QString::fromLatin1(ol::siteKey(m_preview.site)))
        .arg(QString::fromStdString(m_preview.method))
        .arg(m_side == Side::Before ? tr("before") : tr("after %1").arg(QString::fromStdString(m_preview.transform)))
        .arg(s.absmax, 0, 'g', 4)
        .arg(s.ratio(), 0, 'f', 1)
        .arg(m_preview.tokens)
        .arg(cellsText(m_preview.tokens, s.surfaceTokens))
        .arg(m_preview.channels)
        .arg(cellsText(m_preview.channels, s.surfaceChannels));
}

void SurfaceView::refresh() {
    m_before->setEnabled(m_has);
    m_after->setEnabled(m_has);
    m_save->setEnabled(m_has && m_graph);
    m_caption->setText(caption());
    if (!openGlAvailable()) {
        m_placeholder->setText(tr("The 3D view needs OpenGL, which this display does not offer (platform \"%1\"). "
                                  "The 2D views show the same data.")
                                   .arg(QGuiApplication::platformName()));
        m_stack->setCurrentWidget(m_placeholder);
        return;
    }
    if (!m_has || !m_graph) {
        m_placeholder->setText(tr("No preview yet: select a site and a method."));
        m_stack->setCurrentWidget(m_placeholder);
        if (m_graph) m_graph->clear();
        return;
    }
    const auto& s = m_side == Side::Before ? m_preview.before : m_preview.after;
    SurfaceGrid grid;
    grid.values = s.surface;
    grid.rows = s.surfaceTokens;
    grid.columns = s.surfaceChannels;
    grid.tokens = m_preview.tokens;
    grid.channels = m_preview.channels;
    // Each side on its own height axis, as the papers draw them: after a transform the peak is often 10-100×
    // lower and would be a flat sheet on the before's axis. The caption gives both absmax values' side.
    grid.zMax = static_cast<float>(s.absmax);
    m_graph->show(grid, tr("%1 — layer %2 %3")
                            .arg(m_side == Side::Before ? tr("before") : tr("after"))
                            .arg(m_preview.layer)
                            .arg(QString::fromLatin1(ol::siteKey(m_preview.site))));
    m_stack->setCurrentWidget(m_graph->widget());
}

bool SurfaceView::savePng(const QString& path, const QSize& size, QString* error) {
    ensureGraph();
    if (!m_graph || !m_has) {
        if (error) *error = m_graph ? tr("nothing to save yet: no preview") : tr("the 3D view needs OpenGL");
        return false;
    }
    refresh();
    const QImage image = m_graph->render(size);
    if (image.isNull() || !image.save(path, "PNG")) {
        if (error) *error = tr("%1: cannot write the image").arg(path);
        return false;
    }
    return true;
}

} // namespace olv
