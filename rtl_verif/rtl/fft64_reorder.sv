// Reorder buffer of fft64: bit-reversed in, natural order out, AXI4-Stream
// out, one 64-entry memory for both frames.
//
// The t-th sample written of a frame is X[bitrev(t)]. Frames alternate
// between two address maps so that a frame is written into the very entries
// the previous frame is being read from, in step: mode 0 writes step t at
// bitrev(t) and reads X[r] at r; mode 1 writes step t at t and reads X[r] at
// bitrev(r). Mode 1's write addresses are mode 0's read addresses and the
// other way round, so write step t may go as soon as read step t has gone
// (the same clock included: the read takes the old content). Reading a frame
// starts when all of it is written. Back-to-back frames stream at one sample
// per clock; latency 64 clocks from the first write to the first output.
module fft64_reorder #(
    parameter int DW = 32            // data bits per entry (the top level's {im, re})
) (
    input  logic          clk,
    input  logic          rst,
    input  logic          in_v,
    input  logic [DW-1:0] in_d,
    input  logic          in_u,
    output logic          wr_ok,     // a sample offered now is taken
    output logic [DW-1:0] m_axis_tdata,
    output logic          m_axis_tvalid,
    input  logic          m_axis_tready,
    output logic          m_axis_tlast,
    output logic          m_axis_tuser
);
    logic [DW:0] mem [64];           // {u, d}
    logic [5:0]  t;                  // write step of the frame being written
    logic [5:0]  r;                  // read step of the frame being read
    logic        full;               // a whole frame is in, being read
    logic        wmode, rmode;

    function automatic logic [5:0] bitrev(input logic [5:0] a);
        return {a[0], a[1], a[2], a[3], a[4], a[5]};
    endfunction

    wire rd = full && (!m_axis_tvalid || m_axis_tready);
    assign wr_ok = !full || (t < r) || (t == r && rd);
    wire wr = in_v && wr_ok;
    wire [5:0] waddr = wmode ? t : bitrev(t);
    wire [5:0] raddr = rmode ? bitrev(r) : r;
    wire wdone = wr && (t == 6'd63);
    wire rdone = rd && (r == 6'd63);

    always @(posedge clk) begin
        if (wr) mem[waddr] <= {in_u, in_d};
    end

    always @(posedge clk) begin
        if (rst) begin
            t <= '0;
            r <= '0;
            full <= 1'b0;
            wmode <= 1'b0;
            rmode <= 1'b0;
            m_axis_tvalid <= 1'b0;
            m_axis_tlast  <= 1'b0;
            m_axis_tuser  <= 1'b0;
            m_axis_tdata  <= '0;
        end else begin
            if (wr) t <= t + 1'b1;
            if (rd) begin
                r <= r + 1'b1;
                {m_axis_tuser, m_axis_tdata} <= mem[raddr];
                m_axis_tlast  <= (r == 6'd63);
                m_axis_tvalid <= 1'b1;
            end else if (m_axis_tready) begin
                m_axis_tvalid <= 1'b0;
            end
            if (wdone) begin               // a full frame: read it next
                full  <= 1'b1;
                rmode <= wmode;
                wmode <= ~wmode;
                r     <= '0;
            end else if (rdone) begin
                full <= 1'b0;
            end
        end
    end
endmodule
