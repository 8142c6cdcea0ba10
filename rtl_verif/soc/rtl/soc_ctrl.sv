// SoC control block: console, exit, cycle counter, bus-error latch.
// AXI4-Lite slave; 32-bit registers at byte offsets (word-aligned):
//   0x00 CONSOLE     W   [7:0] one console byte (console_valid for one clock)
//   0x04 EXIT        W   program exit code (exit_valid for one clock)
//   0x08 CYCLE_LO    R   clocks since reset, low word; a read also copies
//                        the high word into CYCLE_HI, so LO then HI is one
//                        consistent 64-bit count
//   0x0C CYCLE_HI    R   high word copied by the last CYCLE_LO read
//   0x10 BUSERR      R/W1C [0] ERR (sticky: a transaction got a non-OKAY
//                        response), [1] WRITE, [3:2] RESP of the first one;
//                        writing 1 to bit 0 clears it
//   0x14 BUSERR_ADDR R   address of that transaction
//   0x18 ID          R   0x534F4301 ("SOC", version 1)
// Other offsets answer SLVERR (reads return 0, writes are ignored); so do
// writes to read-only registers and reads of write-only ones.
module soc_ctrl (
    input  logic        clk,
    input  logic        rst,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [31:0] s_awaddr,  // window offset; bits [1:0] unused
    input  logic [31:0] s_araddr,
    input  logic [31:0] s_wdata,   // CONSOLE uses [7:0]
    input  logic [3:0]  s_wstrb,   // CONSOLE and BUSERR use lane 0; EXIT takes the whole word
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic        s_awvalid,
    output logic        s_awready,
    input  logic        s_wvalid,
    output logic        s_wready,
    output logic [1:0]  s_bresp,
    output logic        s_bvalid,
    input  logic        s_bready,
    input  logic        s_arvalid,
    output logic        s_arready,
    output logic [31:0] s_rdata,
    output logic [1:0]  s_rresp,
    output logic        s_rvalid,
    input  logic        s_rready,
    // bus errors reported by the interconnect
    input  logic        err_valid,
    input  logic        err_write,
    input  logic [31:0] err_addr,
    input  logic [1:0]  err_resp,
    // to the testbench
    output logic        console_valid,
    output logic [7:0]  console_data,
    output logic        exit_valid,
    output logic [31:0] exit_code,
    output logic        bus_error      // sticky ERR
);
    localparam logic [31:0] ID = 32'h534F4301;
    localparam logic [1:0] OKAY = 2'b00, SLVERR = 2'b10;

    logic [63:0] cycles;
    logic [31:0] cycle_hi;
    logic        e_write;
    logic [1:0]  e_resp;
    logic [31:0] e_addr;

    wire wr = s_awvalid && s_wvalid && !s_bvalid;
    assign s_awready = wr;
    assign s_wready  = wr;
    assign s_arready = !s_rvalid;
    wire rd = s_arvalid && s_arready;
    wire [9:0] wo = s_awaddr[11:2];
    wire [9:0] ro = s_araddr[11:2];

    always_ff @(posedge clk) begin
        if (rst) begin
            cycles        <= '0;
            cycle_hi      <= '0;
            bus_error     <= 1'b0;
            e_write       <= 1'b0;
            e_resp        <= OKAY;
            e_addr        <= '0;
            console_valid <= 1'b0;
            console_data  <= '0;
            exit_valid    <= 1'b0;
            exit_code     <= '0;
            s_bvalid      <= 1'b0;
            s_bresp       <= OKAY;
            s_rvalid      <= 1'b0;
            s_rdata       <= '0;
            s_rresp       <= OKAY;
        end else begin
            cycles        <= cycles + 64'd1;
            console_valid <= 1'b0;
            exit_valid    <= 1'b0;
            if (err_valid && !bus_error) begin
                bus_error <= 1'b1;
                e_write   <= err_write;
                e_resp    <= err_resp;
                e_addr    <= err_addr;
            end
            if (wr) begin
                s_bvalid <= 1'b1;
                s_bresp  <= OKAY;
                case (wo)
                    10'h0: if (s_wstrb[0]) begin
                        console_valid <= 1'b1;
                        console_data  <= s_wdata[7:0];
                    end
                    10'h1: begin
                        exit_valid <= 1'b1;
                        exit_code  <= s_wdata;
                    end
                    10'h4: if (s_wstrb[0] && s_wdata[0]) bus_error <= 1'b0;
                    default: s_bresp <= SLVERR;
                endcase
            end else if (s_bready) begin
                s_bvalid <= 1'b0;
            end
            if (rd) begin
                s_rvalid <= 1'b1;
                s_rresp  <= OKAY;
                case (ro)
                    10'h2: begin
                        s_rdata  <= cycles[31:0];
                        cycle_hi <= cycles[63:32];
                    end
                    10'h3: s_rdata <= cycle_hi;
                    10'h4: s_rdata <= {28'd0, e_resp, e_write, bus_error};
                    10'h5: s_rdata <= e_addr;
                    10'h6: s_rdata <= ID;
                    default: begin
                        s_rdata <= '0;
                        s_rresp <= SLVERR;
                    end
                endcase
            end else if (s_rready) begin
                s_rvalid <= 1'b0;
            end
        end
    end
endmodule
