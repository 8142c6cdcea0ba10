// AXI4-Lite interconnect of the SoC: one master, N slave windows, and a
// default slave that answers every unmapped address with DECERR.
//
// Decode: window i owns the addresses with (addr & MASK[i]) == BASE[i]
// (BASE/MASK: N 32-bit entries, entry 0 in the low bits); the first match
// wins; no match goes to the default slave. A slave sees the offset in its
// window (addr & ~MASK[i]).
// Transactions: one write and one read outstanding (the PicoRV32 issues one
// access at a time). The target of a write is decoded from AWADDR while AWVALID
// is up and kept until the B handshake, so AW and W may be accepted in either
// order (W is only forwarded once AWVALID names the target); the target of a
// read is kept from the AR handshake to the R handshake. Address, data and
// responses pass combinationally: the interconnect adds no clock of latency.
// Errors: every transaction answered with a non-OKAY response (DECERR from
// the default slave, SLVERR from a block) raises err_valid for one clock with
// its address, direction and response, so the SoC can latch it.
module soc_axil_xbar #(
    parameter int N = 1,
    parameter logic [N*32-1:0] BASE = '0,
    parameter logic [N*32-1:0] MASK = '0
) (
    input  logic            clk,
    input  logic            rst,
    // from the master
    input  logic [31:0]     s_awaddr,
    input  logic            s_awvalid,
    output logic            s_awready,
    input  logic [31:0]     s_wdata,
    input  logic [3:0]      s_wstrb,
    input  logic            s_wvalid,
    output logic            s_wready,
    output logic [1:0]      s_bresp,
    output logic            s_bvalid,
    input  logic            s_bready,
    input  logic [31:0]     s_araddr,
    input  logic            s_arvalid,
    output logic            s_arready,
    output logic [31:0]     s_rdata,
    output logic [1:0]      s_rresp,
    output logic            s_rvalid,
    input  logic            s_rready,
    // to the slaves, flattened: slave i in bits [i*W +: W]
    output logic [N*32-1:0] m_awaddr,
    output logic [N-1:0]    m_awvalid,
    input  logic [N-1:0]    m_awready,
    output logic [N*32-1:0] m_wdata,
    output logic [N*4-1:0]  m_wstrb,
    output logic [N-1:0]    m_wvalid,
    input  logic [N-1:0]    m_wready,
    input  logic [N*2-1:0]  m_bresp,
    input  logic [N-1:0]    m_bvalid,
    output logic [N-1:0]    m_bready,
    output logic [N*32-1:0] m_araddr,
    output logic [N-1:0]    m_arvalid,
    input  logic [N-1:0]    m_arready,
    input  logic [N*32-1:0] m_rdata,
    input  logic [N*2-1:0]  m_rresp,
    input  logic [N-1:0]    m_rvalid,
    output logic [N-1:0]    m_rready,
    // error report (one clock per failed transaction)
    output logic            err_valid,
    output logic            err_write,
    output logic [31:0]     err_addr,
    output logic [1:0]      err_resp
);
    localparam int SW = $clog2(N + 1);
    localparam logic [SW-1:0] NONE = SW'(N);  // the default (DECERR) slave
    localparam logic [1:0] DECERR = 2'b11;

    function automatic logic [SW-1:0] decode(input logic [31:0] a);
        logic [SW-1:0] hit;
        hit = NONE;
        for (int i = N - 1; i >= 0; i--)
            if ((a & MASK[i*32 +: 32]) == BASE[i*32 +: 32]) hit = SW'(i);
        return hit;
    endfunction

    // ---- write channel state ----
    logic          w_busy, aw_done, w_done;
    logic [SW-1:0] w_sel;
    logic [31:0]   w_addr;
    logic          e_bvalid;  // default slave's response pending

    wire [SW-1:0] aw_dec = decode(s_awaddr);
    wire [SW-1:0] wt     = w_busy ? w_sel : aw_dec;
    wire aw_fwd = s_awvalid && !(w_busy && aw_done);
    wire w_fwd  = s_wvalid && (w_busy ? !w_done : s_awvalid);
    wire b_open = w_busy && aw_done && w_done;

    // ---- read channel state ----
    logic          r_busy;
    logic [SW-1:0] r_sel;
    logic [31:0]   r_addr;
    logic          e_rvalid;

    wire [SW-1:0] ar_dec = decode(s_araddr);
    wire ar_fwd = s_arvalid && !r_busy;

    always @* begin
        m_awvalid = '0;
        m_wvalid  = '0;
        m_bready  = '0;
        m_arvalid = '0;
        m_rready  = '0;
        for (int i = 0; i < N; i++) begin
            m_awaddr[i*32 +: 32] = s_awaddr & ~MASK[i*32 +: 32];
            m_wdata[i*32 +: 32]  = s_wdata;
            m_wstrb[i*4 +: 4]    = s_wstrb;
            m_araddr[i*32 +: 32] = s_araddr & ~MASK[i*32 +: 32];
        end
        s_awready = 1'b0;
        s_wready  = 1'b0;
        s_bvalid  = 1'b0;
        s_bresp   = 2'b00;
        s_arready = 1'b0;
        s_rvalid  = 1'b0;
        s_rresp   = 2'b00;
        s_rdata   = 32'd0;
        for (int i = 0; i < N; i++) begin
            if (wt == SW'(i)) begin
                m_awvalid[i] = aw_fwd;
                m_wvalid[i]  = w_fwd;
                s_awready    = aw_fwd && m_awready[i];
                s_wready     = w_fwd && m_wready[i];
            end
            if (b_open && w_sel == SW'(i)) begin
                s_bvalid    = m_bvalid[i];
                s_bresp     = m_bresp[i*2 +: 2];
                m_bready[i] = s_bready;
            end
            if (ar_fwd && ar_dec == SW'(i)) begin
                m_arvalid[i] = 1'b1;
                s_arready    = m_arready[i];
            end
            if (r_busy && r_sel == SW'(i)) begin
                s_rvalid    = m_rvalid[i];
                s_rresp     = m_rresp[i*2 +: 2];
                s_rdata     = m_rdata[i*32 +: 32];
                m_rready[i] = s_rready;
            end
        end
        // the default slave: takes any address, answers DECERR
        if (wt == NONE) begin
            s_awready = aw_fwd;
            s_wready  = w_fwd;
        end
        if (b_open && w_sel == NONE) begin
            s_bvalid = e_bvalid;
            s_bresp  = DECERR;
        end
        if (ar_fwd && ar_dec == NONE) s_arready = 1'b1;
        if (r_busy && r_sel == NONE) begin
            s_rvalid = e_rvalid;
            s_rresp  = DECERR;
        end
    end

    wire aw_hs = s_awvalid && s_awready;
    wire w_hs  = s_wvalid && s_wready;
    wire b_hs  = s_bvalid && s_bready;
    wire ar_hs = s_arvalid && s_arready;
    wire r_hs  = s_rvalid && s_rready;

    always_ff @(posedge clk) begin
        if (rst) begin
            w_busy    <= 1'b0;
            aw_done   <= 1'b0;
            w_done    <= 1'b0;
            w_sel     <= NONE;
            w_addr    <= '0;
            e_bvalid  <= 1'b0;
            r_busy    <= 1'b0;
            r_sel     <= NONE;
            r_addr    <= '0;
            e_rvalid  <= 1'b0;
            err_valid <= 1'b0;
            err_write <= 1'b0;
            err_addr  <= '0;
            err_resp  <= 2'b00;
        end else begin
            err_valid <= 1'b0;
            // write: open on the first of the AW/W handshakes, close on B
            if (!w_busy && (aw_hs || w_hs)) begin
                w_busy <= 1'b1;
                w_sel  <= aw_dec;
                w_addr <= s_awaddr;
            end
            if (aw_hs) aw_done <= 1'b1;
            if (w_hs) w_done <= 1'b1;
            // the default slave answers one clock after both halves arrived
            e_bvalid <= w_busy && w_sel == NONE && aw_done && w_done && !b_hs;
            if (b_hs) begin
                w_busy  <= 1'b0;
                aw_done <= 1'b0;
                w_done  <= 1'b0;
                if (s_bresp != 2'b00) begin
                    err_valid <= 1'b1;
                    err_write <= 1'b1;
                    err_addr  <= w_addr;
                    err_resp  <= s_bresp;
                end
            end
            // read: open on AR, close on R
            if (ar_hs) begin
                r_busy <= 1'b1;
                r_sel  <= ar_dec;
                r_addr <= s_araddr;
            end
            e_rvalid <= r_busy && r_sel == NONE && !r_hs;
            if (r_hs) begin
                r_busy <= 1'b0;
                if (s_rresp != 2'b00) begin
                    err_valid <= 1'b1;
                    err_write <= 1'b0;
                    err_addr  <= r_addr;
                    err_resp  <= s_rresp;
                end
            end
        end
    end
endmodule
