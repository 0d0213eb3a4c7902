#pragma once
// The 3D view: the selected site's sample as a token × channel surface of |x|, before and after the chosen
// transform (the figure the DuQuant, RUQuant and "Massive Activations" papers draw), rotatable with the mouse,
// exportable as PNG. It follows the preview, so it shares the 2D views' selection (layer, site, method).
// The graph needs OpenGL; where there is none (the offscreen platform, a bare SSH session) the view says so
// and everything else of the window works.
#include "core/quant/layerpreview.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QStackedLayout;

namespace olv {

class SurfaceGraph;

class SurfaceView : public QWidget {
    Q_OBJECT
public:
    enum class Side { Before, After };
    explicit SurfaceView(QWidget* parent = nullptr);
    ~SurfaceView() override;
    void setPreview(const ol::LayerPreview& preview);
    void clear();
    void setSide(Side side);
    Side side() const { return m_side; }
    // The caption under the graph: site, side, magnitudes, pooling.
    QString caption() const;
    // False where the platform has no OpenGL (the graph is then never created).
    static bool openGlAvailable();
    bool hasGraph() const { return m_graph != nullptr; }
    // Renders the graph at `size` into `path` (PNG); false with `error` set when it cannot.
    bool savePng(const QString& path, const QSize& size, QString* error = nullptr);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void ensureGraph();
    void refresh();

    QLabel* m_caption;
    QLabel* m_placeholder;
    QPushButton* m_before;
    QPushButton* m_after;
    QPushButton* m_save;
    QStackedLayout* m_stack;
    SurfaceGraph* m_graph = nullptr;
    ol::LayerPreview m_preview;
    bool m_has = false;
    Side m_side = Side::Before;
};

} // namespace olv
