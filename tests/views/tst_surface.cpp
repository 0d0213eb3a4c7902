// The 3D surface view. Under the offscreen platform (no OpenGL) it must say so and refuse to save; under a
// real X server (the views_surface_gl CTest runs this program in xvfb-run with OL_REQUIRE_OPENGL=1) it must
// draw the before and after surfaces and save them as PNG.
#include "views/surface/surfaceview.h"

#include <QImage>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>

using namespace olv;

namespace {

// A 16-token × 32-channel sample with one massive channel (9) before, spread evenly after.
ol::LayerPreview planted() {
    ol::LayerPreview p;
    p.layer = 2;
    p.site = ol::Site::DownInput;
    p.method = "duquant";
    p.transform = "smoothing + 2 rotations (block 4) + 1 zigzag";
    p.tokens = 16;
    p.channels = 32;
    for (auto* side : {&p.before, &p.after}) {
        side->surfaceTokens = 16;
        side->surfaceChannels = 32;
        side->surface.assign(16 * 32, 1.0f);
    }
    for (int t = 0; t < 16; ++t) p.before.surface[static_cast<std::size_t>(t * 32 + 9)] = 400.0f;
    p.before.absmax = 400;
    p.before.medianChannelAbsmax = 1;
    p.after.surface.assign(16 * 32, 12.0f);
    p.after.absmax = 12;
    p.after.medianChannelAbsmax = 12;
    return p;
}

// Pixels that differ from the corner's (the background): how much of the image the graph drew.
double drawnFraction(const QImage& image) {
    const QRgb background = image.pixel(0, 0);
    qint64 drawn = 0;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2) drawn += image.pixel(x, y) != background;
    return 4.0 * static_cast<double>(drawn) / (static_cast<double>(image.width()) * image.height());
}

} // namespace

class TestSurface : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void withoutOpenGlItSaysSo() {
        if (SurfaceView::openGlAvailable()) QSKIP("this display has OpenGL: rendersBeforeAndAfter covers it");
        SurfaceView view;
        view.resize(600, 400);
        view.show();
        view.setPreview(planted());
        QVERIFY(!view.hasGraph());
        const auto labels = view.findChildren<QLabel*>();
        QVERIFY(std::any_of(labels.begin(), labels.end(),
                            [](QLabel* l) { return l->isVisible() && l->text().contains(QStringLiteral("needs OpenGL")); }));
        QString error;
        QTemporaryDir dir;
        QVERIFY(!view.savePng(dir.filePath(QStringLiteral("s.png")), QSize(400, 300), &error));
        QVERIFY2(error.contains(QStringLiteral("OpenGL")), qPrintable(error));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("s.png"))));
        // The numbers are there without the graph.
        QVERIFY2(view.caption().contains(QStringLiteral("absmax 400")), qPrintable(view.caption()));
    }

    void rendersBeforeAndAfter() {
        if (!SurfaceView::openGlAvailable()) {
            if (qEnvironmentVariableIsSet("OL_REQUIRE_OPENGL")) QFAIL("no OpenGL under this X server");
            QSKIP("no OpenGL on this platform (the views_surface_gl CTest runs this under Xvfb)");
        }
        SurfaceView view;
        view.resize(800, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVERIFY(view.hasGraph());
        QTemporaryDir dir;
        QString error;
        QVERIFY(!view.savePng(dir.filePath(QStringLiteral("empty.png")), QSize(400, 300), &error)); // nothing yet
        view.setPreview(planted());
        QVERIFY2(view.caption().contains(QStringLiteral("before")) && view.caption().contains(QStringLiteral("absmax 400")),
                 qPrintable(view.caption()));
        const QString before = dir.filePath(QStringLiteral("before.png")), after = dir.filePath(QStringLiteral("after.png"));
        QVERIFY2(view.savePng(before, QSize(800, 600), &error), qPrintable(error));
        view.setSide(SurfaceView::Side::After);
        QVERIFY2(view.caption().contains(QStringLiteral("after smoothing")) &&
                     view.caption().contains(QStringLiteral("absmax 12")),
                 qPrintable(view.caption()));
        QVERIFY2(view.savePng(after, QSize(800, 600), &error), qPrintable(error));
        const QImage a(before), b(after);
        QCOMPARE(a.size(), QSize(800, 600));
        QCOMPARE(b.size(), QSize(800, 600));
        qInfo("drawn: before %.3f, after %.3f of the image", drawnFraction(a), drawnFraction(b));
        QVERIFY(drawnFraction(a) > 0.05); // axes, grid and surface, not a blank image
        QVERIFY(drawnFraction(b) > 0.05);
        QVERIFY(a != b); // a spike against a flat sheet
        if (const QByteArray out = qgetenv("OL_SCREENSHOT_DIR"); !out.isEmpty()) {
            a.save(QString::fromLocal8Bit(out) + QStringLiteral("/surface-before.png"));
            b.save(QString::fromLocal8Bit(out) + QStringLiteral("/surface-after.png"));
        }
    }
};

QTEST_MAIN(TestSurface)
#include "tst_surface.moc"
