#pragma once
// The Preview dock: before and after the method's transform on the selected
// site's cached sample, on the same axes — channel magnitudes, per-token
// ranges, the distribution of |x| — and the numbers: activation and weight
// quantization error (MSE, SQNR, max error) at the chosen bits, absmax,
// ratio and kurtosis, with the change.
#include "core/quant/layerpreview.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace olv {

class SeriesPlot;

class PreviewView : public QWidget {
    Q_OBJECT
public:
    explicit PreviewView(QWidget* parent = nullptr);
    void setPreview(const ol::LayerPreview& preview);
    void setPending(const QString& what); // "computing…" while a preview runs
    void setError(const QString& message);
    void clear();
    bool hasPreview() const { return m_has; }
    const ol::LayerPreview& preview() const { return m_preview; }
    QTableWidget* numbers() const { return m_table; }
    // Text of one cell of the numbers table: row by its label ("activation SQNR (dB)"), column 0 before / 1 after.
    QString number(const QString& row, int column) const;
    SeriesPlot* channelPlot() const { return m_channels; }
    SeriesPlot* tokenPlot() const { return m_tokens; }
    SeriesPlot* histogramPlot() const { return m_histogram; }

private:
    QLabel* m_status;
    QTableWidget* m_table;
    SeriesPlot* m_channels;
    SeriesPlot* m_tokens;
    SeriesPlot* m_histogram;
    ol::LayerPreview m_preview;
    bool m_has = false;
};

} // namespace olv
