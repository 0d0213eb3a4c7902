#pragma once
// The Qt Data Visualization surface behind SurfaceView: one |x| grid (tokens × channels) with labelled axes.
// Kept apart so that only this file depends on the 3D module.
#include <QImage>
#include <QString>
#include <QWidget>
#include <memory>
#include <vector>

namespace olv {

struct SurfaceGrid {
    std::vector<float> values; // row-major, rows = token cells
    std::int64_t rows = 0, columns = 0;
    std::int64_t tokens = 0, channels = 0; // what the cells cover (axis ranges)
    float zMax = 0;                        // the height axis' top (shared by before and after when asked)
};

class SurfaceGraph {
public:
    SurfaceGraph();
    ~SurfaceGraph();
    // The graph's window in a container widget; whoever lays it out owns it (and with it the graph).
    QWidget* widget() const;
    void show(const SurfaceGrid& grid, const QString& title);
    void clear();
    QImage render(const QSize& size);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace olv
